/**
 * NetworkPolicy enforcement as nftables rules for one node (pure). The layout follows the
 * per-pod firewall chains of kube-router's network policy controller (pkg/controllers/netpol:
 * one chain per local pod and direction, the pod's policies' rules in it, a default drop at the
 * end), expressed in one nftables table per node as kube-network-policies keeps its own table.
 *
 * - Hook: forward, priority filter, in the node's root namespace. Service DNAT (prerouting) has
 *   run, so rules see pod addresses; the node's own traffic to its pods is locally generated
 *   (output) and never passes here, so it is always allowed.
 * - Established/related packets are accepted first: a policy acts on new connections only.
 * - A local pod selected for a direction by any policy gets a chain for it; the chain returns on
 *   the first rule that allows (union), otherwise drops, counting into a named counter and into a
 *   dynamic set keyed by (source, destination, protocol, port) so a verifier can attribute every
 *   dropped connection to its cell. Egress is checked before ingress (a same-node packet passes
 *   here once and must satisfy both); both chains `return`, so the base chain's accept policy
 *   lets an allowed packet on.
 * - Every rule carries the policy's namespace/name in its comment.
 * Sharing no code with the oracle (src/netpol/evaluate.ts) is deliberate: lab verify compares them.
 */
import type { LabModel, PodModel } from '../model/types';
import type { LabelSelector, NetworkPolicyModel, NetworkPolicyPeer, NetworkPolicyPort } from '../model/netpol';

export const NETPOL_TABLE = 'k8s-netlab-netpol';
export const DROP_SET = { ingress: 'drops-ingress', egress: 'drops-egress' } as const;

type Dir = 'ingress' | 'egress';

/** label selector -> does it select these labels (own implementation, see the header). */
function selects(sel: LabelSelector, labels: Record<string, string>): boolean {
  const ml = sel.matchLabels ?? {};
  if (Object.keys(ml).some((k) => labels[k] !== ml[k])) return false;
  return (sel.matchExpressions ?? []).every((r) => {
    const present = r.key in labels;
    if (r.operator === 'Exists') return present;
    if (r.operator === 'DoesNotExist') return !present;
    const hit = present && (r.values ?? []).includes(labels[r.key]);
    return r.operator === 'In' ? hit : !hit;
  });
}

function nsLabelsOf(model: LabModel, ns: string): Record<string, string> {
  return { ...(model.namespaceLabels?.[ns] ?? {}), 'kubernetes.io/metadata.name': ns };
}

const quote = (s: string) => `"${s.replace(/["\\]/g, '')}"`;
const set = (xs: string[]) => (xs.length === 1 ? xs[0] : `{ ${xs.join(', ')} }`);
const proto = (p: string) => p.toLowerCase();

/** Pods a peer selects (for pod peers). */
function peerPods(model: LabModel, policy: NetworkPolicyModel, peer: NetworkPolicyPeer): PodModel[] {
  return model.pods.filter((p) => {
    const nsOk = peer.namespaceSelector
      ? selects(peer.namespaceSelector, nsLabelsOf(model, p.namespace))
      : p.namespace === policy.namespace;
    return nsOk && (!peer.podSelector || selects(peer.podSelector, p.labels));
  });
}

/** nft match expressions for one peer (undefined: the peer matches nothing). `side` is saddr for ingress, daddr for egress. */
function peerMatch(
  model: LabModel,
  policy: NetworkPolicyModel,
  peer: NetworkPolicyPeer | undefined,
  side: 'saddr' | 'daddr',
): string | undefined {
  if (!peer) return '';
  if (peer.ipBlock) {
    const except = peer.ipBlock.except ?? [];
    return `ip ${side} ${peer.ipBlock.cidr}${except.length ? ` ip ${side} != ${set(except)}` : ''}`;
  }
  const ips = peerPods(model, policy, peer)
    .map((p) => p.ip)
    .filter((ip) => ip);
  return ips.length ? `ip ${side} ${set([...new Set(ips)].sort())}` : undefined;
}

/** Container ports of a pod. */
function portsOf(p: PodModel) {
  return p.containers.flatMap((c) => c.ports);
}

/**
 * nft matches for one port entry. Ingress: named ports resolve on the protected pod. Egress: on
 * whichever destination pod holds the name (one match per number, limited to those pods).
 */
function portMatches(model: LabModel, port: NetworkPolicyPort | undefined, dir: Dir, subject: PodModel): string[] {
  if (!port) return [''];
  const l4 = proto(port.protocol);
  if (port.port === undefined) return [`meta l4proto ${l4}`];
  if (typeof port.port === 'number')
    return [
      `${l4} dport ${port.endPort !== undefined && port.endPort !== port.port ? `${port.port}-${port.endPort}` : port.port}`,
    ];
  const name = port.port;
  const holders = dir === 'ingress' ? [subject] : model.pods;
  const byNumber = new Map<number, string[]>();
  for (const p of holders)
    for (const cp of portsOf(p))
      if (cp.name === name && cp.protocol === port.protocol)
        byNumber.set(cp.containerPort, [...(byNumber.get(cp.containerPort) ?? []), p.ip]);
  return [...byNumber.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([n, ips]) =>
      dir === 'ingress' ? `${l4} dport ${n}` : `ip daddr ${set([...new Set(ips)].sort())} ${l4} dport ${n}`,
    );
}

function policySelects(policy: NetworkPolicyModel, pod: PodModel, dir: Dir): boolean {
  const type = dir === 'ingress' ? 'Ingress' : 'Egress';
  return (
    policy.namespace === pod.namespace && policy.policyTypes.includes(type) && selects(policy.podSelector, pod.labels)
  );
}

export interface PodChain {
  pod: string;
  dir: Dir;
  chain: string;
  counter: string;
  policies: string[];
}

export interface NetpolRender {
  /** The nft script: replaces the table in one transaction (atomic). Empty when nothing is isolated on the node. */
  script: string;
  chains: PodChain[];
  /** Number of rules rendered (for benchmarks and status). */
  rules: number;
  /** The same content in parts, for incremental updates (src/netpol/nft-sync.ts): each regular chain's rules. */
  chainRules: { name: string; rules: string[] }[];
  /** Named counters with their comment. */
  counters: { name: string; comment: string }[];
  /** The base chain's rules (after its `type` line). */
  forward: string[];
}

export const FORWARD_CHAIN = 'forward';
export const FORWARD_TYPE = 'type filter hook forward priority filter; policy accept;';
/** The drop sets' declaration (after the set name). */
export const DROP_SET_SPEC =
  '{ type ipv4_addr . ipv4_addr . inet_proto . inet_service; flags dynamic; size 65536; counter; }';

/** The chain lines for one pod and direction. */
function podChainRules(
  model: LabModel,
  pod: PodModel,
  dir: Dir,
  policies: NetworkPolicyModel[],
  counter: string,
): string[] {
  const lines: string[] = [];
  const side = dir === 'ingress' ? 'saddr' : 'daddr';
  for (const pol of policies) {
    const rules = dir === 'ingress' ? pol.ingress : pol.egress;
    rules.forEach((rule, i) => {
      const peers: (NetworkPolicyPeer | undefined)[] = rule.peers?.length ? rule.peers : [undefined];
      const ports: (NetworkPolicyPort | undefined)[] = rule.ports?.length ? rule.ports : [undefined];
      for (const peer of peers) {
        const pm = peerMatch(model, pol, peer, side);
        if (pm === undefined) continue;
        for (const port of ports)
          for (const m of portMatches(model, port, dir, pod))
            lines.push(
              `${[pm, m].filter((x) => x).join(' ')} counter return comment ${quote(`${pol.namespace}/${pol.name} ${dir}[${i}]`)}`.trim(),
            );
      }
    });
  }
  const names = policies.map((p) => `${p.namespace}/${p.name}`).join(',');
  lines.push(
    `update @${DROP_SET[dir]} { ip saddr . ip daddr . meta l4proto . th dport } counter name ${quote(counter)} drop comment ${quote(`${pod.namespace}/${pod.name} ${dir} isolated by ${names}`)}`,
  );
  return lines;
}

/** The node's NetworkPolicy table. */
export function renderNetpol(model: LabModel, node: string): NetpolRender {
  const policies = model.networkPolicies ?? [];
  const local = model.pods.filter((p) => p.node === node && p.ip);
  const chains: PodChain[] = [];
  const body: string[] = [];
  const jumps: string[] = [];
  const chainRules: NetpolRender['chainRules'] = [];
  const counters: NetpolRender['counters'] = [];
  let rules = 0;
  for (const dir of ['egress', 'ingress'] as Dir[]) {
    for (const pod of local) {
      const sel = policies.filter((pol) => policySelects(pol, pod, dir));
      if (!sel.length) continue;
      const chain = `${dir}-${pod.hostVeth}`;
      const counter = `drop-${dir}-${pod.hostVeth}`;
      const lines = podChainRules(model, pod, dir, sel, counter);
      rules += lines.length;
      chains.push({
        pod: `${pod.namespace}/${pod.name}`,
        dir,
        chain,
        counter,
        policies: sel.map((p) => `${p.namespace}/${p.name}`),
      });
      chainRules.push({ name: chain, rules: lines });
      counters.push({ name: counter, comment: quote(`${pod.namespace}/${pod.name} ${dir}`) });
      body.push(`  counter ${counter} { comment ${quote(`${pod.namespace}/${pod.name} ${dir}`)} }`);
      body.push(`  chain ${chain} {`, ...lines.map((l) => `    ${l}`), '  }');
      jumps.push(
        `ip ${dir === 'egress' ? 'saddr' : 'daddr'} ${pod.ip} jump ${chain} comment ${quote(`${pod.namespace}/${pod.name} ${dir}`)}`,
      );
    }
  }
  if (!chains.length) return { script: '', chains, rules: 0, chainRules, counters, forward: [] };
  const setDecl = (name: string) => `  set ${name} ${DROP_SET_SPEC}`;
  const forward = ['ct state established,related accept', ...jumps];
  const script = [
    // Create-then-delete makes the replacement one transaction whether or not the table exists.
    `table inet ${NETPOL_TABLE} {}`,
    `delete table inet ${NETPOL_TABLE}`,
    `table inet ${NETPOL_TABLE} {`,
    setDecl(DROP_SET.ingress),
    setDecl(DROP_SET.egress),
    ...body,
    `  chain ${FORWARD_CHAIN} {`,
    `    ${FORWARD_TYPE}`,
    ...forward.map((l) => `    ${l}`),
    '  }',
    '}',
  ].join('\n');
  return { script: script + '\n', chains, rules: rules + jumps.length + 1, chainRules, counters, forward };
}

/** Script that removes the table (a lab whose last policy was deleted). */
export const NETPOL_REMOVE = `table inet ${NETPOL_TABLE} {}\ndelete table inet ${NETPOL_TABLE}\n`;
