/**
 * The NetworkPolicy oracle: what Kubernetes says about one connection, written from the API
 * specification (networking.k8s.io/v1 NetworkPolicy reference and the "Network Policies" concept
 * page, Kubernetes v1.31) and sharing no code with the rule renderer (src/netpol/nftables.ts), so a
 * mistake in one is caught by the other in `lab verify`.
 *
 * The rules applied:
 * - A pod is isolated for ingress (egress) when at least one policy in its namespace selects it
 *   and has Ingress (Egress) in policyTypes; otherwise that direction is open.
 * - Policies are additive: an isolated direction allows what the union of the selecting policies'
 *   rules allows. A connection needs both the source's egress and the destination's ingress.
 * - Within a rule, a peer matches and a port matches (absent/empty lists match everything).
 *   podSelector alone: pods of the policy's namespace; namespaceSelector alone: every pod of the
 *   selected namespaces; both: the selected pods of the selected namespaces; ipBlock: the address
 *   in cidr and in no except block.
 * - A named port matches the destination pod's container port of that name and protocol; endPort
 *   makes port..endPort a range.
 * - Traffic from a pod's own node to the pod is always allowed (concept page: "traffic to and from
 *   the node where a Pod is running is always allowed, regardless of the IP address of the Pod or
 *   the node").
 * - A pod to itself (loopback) is allowed, as the upstream e2e suite expects (AllowLoopback).
 * Replies of an allowed connection are allowed (policies act on connections), so only the
 * connection's first direction is evaluated here.
 */
import type {
  LabelSelector,
  NetworkPolicyModel,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicyRule,
} from '../model/netpol';
import { NAMESPACE_NAME_LABEL } from '../model/netpol';

/** What the oracle needs of a pod. */
export interface EvalPod {
  namespace: string;
  name: string;
  ip: string;
  node: string;
  labels: Record<string, string>;
  /** Container ports, for named ports. */
  ports: { name?: string; containerPort: number; protocol: string }[];
}

/** An endpoint that is not a pod: a node (by name) or any other address. */
export interface EvalHost {
  ip: string;
  node?: string;
}

export type Endpoint = { pod: EvalPod } | { host: EvalHost };

export interface EvalWorld {
  policies: NetworkPolicyModel[];
  /** Namespace labels (the oracle adds kubernetes.io/metadata.name itself). */
  namespaceLabels: Record<string, Record<string, string>>;
}

export interface DirectionVerdict {
  /** The pod is selected by at least one policy for this direction. */
  isolated: boolean;
  allowed: boolean;
  /** Allowed: the policies with a rule that matched; denied: every policy isolating the pod. */
  policies: string[];
  /** Why, in words. */
  reason: string;
}

export interface Verdict {
  allowed: boolean;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
  /** The policies that decided: those that allowed, or on a denial those that isolate the denying side. */
  deciding: string[];
  reason: string;
}

export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const vals = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !vals.includes(labels[e.key])) return false;
        break;
      case 'NotIn':
        // NotIn matches objects without the key (labels.Selector semantics).
        if (has && vals.includes(labels[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, len] = cidr.split('/');
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (ipToInt(ip) & mask) >>> 0 === (ipToInt(base) & mask) >>> 0;
}

const key = (p: NetworkPolicyModel) => `${p.namespace}/${p.name}`;

function nsLabels(world: EvalWorld, ns: string): Record<string, string> {
  return { ...(world.namespaceLabels[ns] ?? {}), [NAMESPACE_NAME_LABEL]: ns };
}

function ipOf(e: Endpoint): string {
  return 'pod' in e ? e.pod.ip : e.host.ip;
}

function peerMatches(peer: NetworkPolicyPeer, policyNs: string, other: Endpoint, world: EvalWorld): boolean {
  if (peer.ipBlock) {
    const ip = ipOf(other);
    return inCidr(ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(ip, c));
  }
  if (!('pod' in other)) return false; // selectors select pods only
  const pod = other.pod;
  if (peer.namespaceSelector) {
    if (!selectorMatches(peer.namespaceSelector, nsLabels(world, pod.namespace))) return false;
  } else if (pod.namespace !== policyNs) return false;
  return !peer.podSelector || selectorMatches(peer.podSelector, pod.labels);
}

/** Does `port`/`protocol` to `dst` match a rule's port entry? Named ports resolve on the destination pod. */
function portMatches(p: NetworkPolicyPort, port: number, protocol: string, dst: Endpoint): boolean {
  if (p.protocol !== protocol) return false;
  if (p.port === undefined) return true;
  if (typeof p.port === 'string') {
    if (!('pod' in dst)) return false;
    return dst.pod.ports.some((cp) => cp.name === p.port && cp.protocol === protocol && cp.containerPort === port);
  }
  if (p.endPort !== undefined) return port >= p.port && port <= p.endPort;
  return port === p.port;
}

function ruleMatches(
  rule: NetworkPolicyRule,
  policyNs: string,
  peer: Endpoint,
  dst: Endpoint,
  port: number,
  protocol: string,
  world: EvalWorld,
): boolean {
  const peerOk =
    !rule.peers || rule.peers.length === 0 || rule.peers.some((p) => peerMatches(p, policyNs, peer, world));
  const portOk = !rule.ports || rule.ports.length === 0 || rule.ports.some((p) => portMatches(p, port, protocol, dst));
  return peerOk && portOk;
}

function direction(
  dir: 'Ingress' | 'Egress',
  subject: EvalPod,
  peer: Endpoint,
  dst: Endpoint,
  port: number,
  protocol: string,
  world: EvalWorld,
): DirectionVerdict {
  const selecting = world.policies.filter(
    (p) =>
      p.namespace === subject.namespace &&
      p.policyTypes.includes(dir) &&
      selectorMatches(p.podSelector, subject.labels),
  );
  if (selecting.length === 0)
    return {
      isolated: false,
      allowed: true,
      policies: [],
      reason: `${dir.toLowerCase()} of ${subject.namespace}/${subject.name} not isolated`,
    };
  const allowing = selecting.filter((p) =>
    (dir === 'Ingress' ? p.ingress : p.egress).some((r) =>
      ruleMatches(r, p.namespace, peer, dst, port, protocol, world),
    ),
  );
  if (allowing.length)
    return {
      isolated: true,
      allowed: true,
      policies: allowing.map(key),
      reason: `${dir.toLowerCase()} allowed by ${allowing.map(key).join(', ')}`,
    };
  return {
    isolated: true,
    allowed: false,
    policies: selecting.map(key),
    reason: `${dir.toLowerCase()} of ${subject.namespace}/${subject.name} isolated by ${selecting.map(key).join(', ')}; no rule allows it`,
  };
}

const OPEN: DirectionVerdict = { isolated: false, allowed: true, policies: [], reason: 'not a pod' };

/** The verdict for a new connection src -> dst on port/protocol. */
export function evaluate(
  world: EvalWorld,
  src: Endpoint,
  dst: Endpoint,
  port: number,
  protocol: 'TCP' | 'UDP',
): Verdict {
  // A pod talking to itself never leaves its namespace (loopback); upstream e2e expects it allowed (Reachability.AllowLoopback).
  if ('pod' in src && 'pod' in dst && src.pod.namespace === dst.pod.namespace && src.pod.name === dst.pod.name) {
    const open: DirectionVerdict = { isolated: false, allowed: true, policies: [], reason: 'loopback' };
    return {
      allowed: true,
      egress: open,
      ingress: open,
      deciding: [],
      reason: 'a pod to itself (loopback) is always allowed',
    };
  }
  const egress = 'pod' in src ? direction('Egress', src.pod, dst, dst, port, protocol, world) : OPEN;
  let ingress = 'pod' in dst ? direction('Ingress', dst.pod, src, dst, port, protocol, world) : OPEN;
  // The pod's own node may always reach it.
  if ('pod' in dst && 'host' in src && src.host.node !== undefined && src.host.node === dst.pod.node)
    ingress = {
      isolated: ingress.isolated,
      allowed: true,
      policies: [],
      reason: `from the pod's own node ${src.host.node}: always allowed`,
    };
  const allowed = egress.allowed && ingress.allowed;
  const deciding = allowed
    ? [...egress.policies, ...ingress.policies]
    : [...(egress.allowed ? [] : egress.policies), ...(ingress.allowed ? [] : ingress.policies)];
  const reason = allowed
    ? [egress, ingress]
        .filter((d) => d.isolated)
        .map((d) => d.reason)
        .join('; ') || 'no policy isolates either side'
    : [egress, ingress]
        .filter((d) => !d.allowed)
        .map((d) => d.reason)
        .join('; ');
  return { allowed, egress, ingress, deciding: [...new Set(deciding)], reason };
}
