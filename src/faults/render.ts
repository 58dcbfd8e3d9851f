/**
 * Faults as desired state, pure: what to record and the nftables rules that make a partition or a
 * lossy link inside a node. Each fault's rules live in their own table, named for the fault, so
 * clearing one is deleting its table and nothing else of the node's rules is touched.
 */
import type { LabModel, NodeModel, PodModel } from '../model/types';
import { InputError } from '../errors';
import { isDnsPod } from '../plan/dns-pod';
import { isContainerPod } from '../plan/pod';
import { q } from '../plan/shell';

export const FAULT_KINDS = [
  'node-freeze',
  'node-stop',
  'pod-kill',
  'partition',
  'link-loss',
  'pod-unready',
  'dns-down',
  'link-down',
  'proxy-stuck',
  'lb-backend-down',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRecord {
  id: string;
  kind: FaultKind;
  /** A node, or `ns/pod` for pod-kill and pod-unready, `all` or `ns/pod` for dns-down. */
  target: string;
  /** Pods the fault acts on (`ns/pod`), when it acts on pods. */
  pods?: string[];
  /** partition: the other node. */
  peer?: string;
  /** link-loss: percent of packets dropped each way. */
  percent?: number;
  /** ISO time the fault took effect. */
  injectedAt: string;
  /** What was done, in words. */
  detail: string;
}

export interface FaultRequest {
  kind: string;
  target: string;
  peer?: string;
  percent?: number;
}

/** `k8s_netlab_fault_f3`: one nftables table per fault and node. */
export function faultTable(id: string): string {
  return `k8s_netlab_fault_${id}`;
}

/** Next id: f1, f2, ... after the highest recorded (ids are never reused within a lab). */
export function nextFaultId(existing: FaultRecord[], highest = 0): string {
  const n = Math.max(highest, ...existing.map((f) => Number(f.id.slice(1)) || 0));
  return `f${n + 1}`;
}

/** `ns/name`, or `name` in the default namespace given. */
export function findPod(model: LabModel, target: string, ns0: string): PodModel {
  const [ns, name] = target.includes('/') ? target.split('/', 2) : [ns0, target];
  const pod = model.pods.find((p) => p.namespace === ns && p.name === name);
  if (!pod)
    throw new InputError(`no pod ${ns}/${name}`, {
      field: 'TARGET',
      hint: `use one of: ${model.pods.map((p) => `${p.namespace}/${p.name}`).join(', ')}`,
    });
  return pod;
}

function node(model: LabModel, name: string | undefined, field: string): NodeModel {
  const n = model.nodes.find((x) => x.name === name);
  if (!n)
    throw new InputError(`no node ${name ?? '(none given)'}`, {
      field,
      hint: `use one of: ${model.nodes.map((x) => x.name).join(', ')}`,
    });
  return n;
}

/** Checks a request against the model: clear errors naming the field, nothing done. */
export function checkFault(
  model: LabModel,
  r: FaultRequest,
  active: FaultRecord[],
): { kind: FaultKind; nodes: NodeModel[]; pods?: PodModel[] } {
  if (!(FAULT_KINDS as readonly string[]).includes(r.kind))
    throw new InputError(`unknown fault kind ${r.kind}`, {
      field: 'KIND',
      hint: `use one of: ${FAULT_KINDS.join(', ')}`,
    });
  const kind = r.kind as FaultKind;
  if (kind === 'pod-unready') {
    const pod = findPod(model, r.target, 'default');
    if (isContainerPod(pod) || isDnsPod(pod) || !pod.containers.some((c) => c.httpPort))
      throw new InputError(
        `pod ${pod.namespace}/${pod.name} does not run the lab's netexec server (its readiness cannot be flipped)`,
        {
          field: 'TARGET',
          hint: `use a netexec pod: ${model.pods
            .filter((p) => !isContainerPod(p) && !isDnsPod(p))
            .map((p) => `${p.namespace}/${p.name}`)
            .join(', ')}`,
        },
      );
    return { kind, nodes: [node(model, pod.node, 'TARGET')], pods: [pod] };
  }
  if (kind === 'dns-down') {
    const dns = model.pods.filter(isDnsPod);
    if (dns.length === 0)
      throw new InputError('this lab has no cluster DNS pod', { field: 'TARGET', hint: 'a lab with cluster DNS' });
    const pods = r.target === 'all' ? dns : [findPod(model, r.target, 'kube-system')];
    if (!isDnsPod(pods[0]))
      throw new InputError(`pod ${pods[0].namespace}/${pods[0].name} is not a cluster DNS pod`, {
        field: 'TARGET',
        hint: `use all, or one of: ${dns.map((p) => `${p.namespace}/${p.name}`).join(', ')}`,
      });
    return { kind, nodes: pods.map((p) => node(model, p.node, 'TARGET')), pods };
  }
  if (kind === 'pod-kill') {
    const [ns, name] = r.target.includes('/') ? r.target.split('/', 2) : ['default', r.target];
    const pod = model.pods.find((p) => p.namespace === ns && p.name === name);
    if (!pod)
      throw new InputError(`no pod ${ns}/${name}`, {
        field: 'TARGET',
        hint: `use one of: ${model.pods.map((p) => `${p.namespace}/${p.name}`).join(', ')}`,
      });
    return { kind, nodes: [node(model, pod.node, 'TARGET')] };
  }
  const a = node(model, r.target, 'TARGET');
  if (kind === 'partition') {
    const b = node(model, r.peer, '--from');
    if (a.name === b.name)
      throw new InputError(`a node cannot be partitioned from itself`, { field: '--from', hint: 'name another node' });
    return { kind, nodes: [a, b] };
  }
  if (kind === 'link-loss') {
    const p = r.percent;
    if (p === undefined || !Number.isInteger(p) || p < 1 || p > 100)
      throw new InputError(`must be a whole percent from 1 to 100, got ${p}`, {
        field: '--percent',
        hint: 'e.g. --percent 30',
      });
  }
  if (kind === 'lb-backend-down' && !model.edge)
    throw new InputError('this lab has no cloud load balancer (no edge: section)', {
      field: 'KIND',
      hint: 'a lab with edge: {} (the guide lab has one)',
    });
  if (
    (kind === 'link-down' || kind === 'proxy-stuck' || kind === 'lb-backend-down') &&
    active.some((f) => f.kind === kind && f.target === a.name)
  )
    throw new InputError(`node ${a.name} has a ${kind} fault already`, {
      field: 'TARGET',
      hint: `clear it first: lab fault clear ${active.find((f) => f.kind === kind && f.target === a.name)!.id}`,
    });
  if (
    (kind === 'node-freeze' || kind === 'node-stop') &&
    active.some((f) => (f.kind === 'node-freeze' || f.kind === 'node-stop') && f.target === a.name)
  )
    throw new InputError(`node ${a.name} is already frozen or stopped by a fault`, {
      field: 'TARGET',
      hint: `clear it first: lab fault clear ${active.find((f) => f.target === a.name)!.id}`,
    });
  return { kind, nodes: [a] };
}

/**
 * Partition, in node `self` against node `other`: drop what comes from or goes to the other
 * node's address and pod block, after DNAT (filter hooks) so traffic to a Service VIP whose
 * backend is across the partition is dropped too.
 */
export function renderPartition(id: string, self: NodeModel, other: NodeModel): string {
  const t = faultTable(id);
  const set = `{ ${other.ip}, ${other.podCIDR} }`;
  return [
    `table inet ${t} {`,
    `  comment "k8s-netlab fault ${id}: partition ${self.name} | ${other.name}"`,
    ...(['input', 'forward', 'output'] as const).map(
      (h) =>
        `  chain ${h} { type filter hook ${h} priority -10; policy accept; ip saddr ${set} drop; ip daddr ${set} drop; }`,
    ),
    '}',
  ].join('\n');
}

/**
 * Packet loss on a node's link (eth0), each way. This kernel has no netem (sch_netem): the drop is
 * nftables' `numgen random mod 100 < P`, a uniform random drop with no delay, duplication or
 * correlation.
 */
export function renderLinkLoss(id: string, self: NodeModel, percent: number): string {
  const t = faultTable(id);
  return [
    `table inet ${t} {`,
    `  comment "k8s-netlab fault ${id}: link-loss ${percent}% on ${self.name} eth0 (nftables numgen, no netem)"`,
    `  chain prerouting { type filter hook prerouting priority -310; policy accept; iifname "eth0" numgen random mod 100 < ${percent} drop; }`,
    `  chain postrouting { type filter hook postrouting priority 310; policy accept; oifname "eth0" numgen random mod 100 < ${percent} drop; }`,
    '}',
  ].join('\n');
}

/** Removes a fault's table; fine when it is gone already. */
export function renderTableDelete(id: string): string {
  return `nft delete table inet ${faultTable(id)} 2>/dev/null || true`;
}

/**
 * pod-unready: every netexec server of the pod answers /healthz (what the kubelet's readiness
 * check asks) with 503 from now on, and keeps serving traffic. Run in the pod's node.
 */
export function renderPodReadiness(pod: PodModel, ready: boolean): string {
  return pod.containers
    .filter((c) => c.httpPort)
    .map((c) => {
      const addr = c.bind === '127.0.0.1' ? '127.0.0.1' : pod.ip;
      return `ip netns exec ${q(pod.netns)} curl -fsS -m 2 -o /dev/null 'http://${addr}:${c.httpPort}/ready?set=${ready}'`;
    })
    .join('\n');
}

/**
 * dns-down: the DNS pod stops answering queries from the network (UDP and TCP 53 dropped in its
 * own namespace, as a hung server would). What arrives on lo still passes. Its readiness then
 * depends on the server: the lab's CoreDNS check is an SOA query from the node (stricter than
 * CoreDNS' ready plugin), so it fails and the endpoint leaves after the readiness threshold; the
 * offline server is checked over lo and stays ready, so clients time out on it. Run in the pod's
 * node; the table is named for the fault.
 */
export function renderDnsDown(id: string, pod: PodModel): string {
  const t = faultTable(id);
  const rules = [
    `table inet ${t} {`,
    `  comment "k8s-netlab fault ${id}: dns-down ${pod.namespace}/${pod.name}"`,
    `  chain input { type filter hook input priority -10; policy accept; iifname != "lo" meta l4proto { udp, tcp } th dport 53 drop; }`,
    '}',
  ].join('\n');
  return `ip netns exec ${q(pod.netns)} nft -f - <<'K8S_NETLAB_NFT'\n${rules}\nK8S_NETLAB_NFT\n`;
}

export function renderDnsUp(id: string, pod: PodModel): string {
  return `ip netns exec ${q(pod.netns)} nft delete table inet ${faultTable(id)} 2>/dev/null || true`;
}

/** link-down: the node's link, on the VPC router's side (its bridge port), down or up again. */
/**
 * node-stop, run in the node just before it is killed: every link of the node's own namespace goes
 * down at once, as when a machine loses power, so its peers see silence (timeouts). Without it the
 * processes die first and the kernel tears the namespaces down afterwards, asynchronously (slowly on
 * a loaded machine); meanwhile a SYN to a pod whose server is gone is answered by a RST ("refused"),
 * which a dead node never sends.
 */
export function renderNodePowerCut(): string {
  // Names from `ip`, which reads the current network namespace (/sys/class/net follows the mount namespace).
  return `ip -o link show | sed -E 's/^[0-9]+: ([^:@]+).*/\\1/' | while read -r l; do [ "$l" = lo ] || ip link set "$l" down; done`;
}

export function renderLinkSet(node: NodeModel, up: boolean): string {
  return `ip link set ${q(node.vpcIface)} ${up ? 'up' : 'down'}`;
}
