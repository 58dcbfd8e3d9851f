/** Choosing which pods a probe uses: pure, so the choice is testable. */
import { LabModel, PodModel } from '../../model/types';
import { vtepAddress } from '../../plan/cni';
import { selectorMatches } from '../../netpol/evaluate';

/** The port a pod serves HTTP on to other pods (not a localhost-only one). */
export function publicHttpPort(pod: PodModel): number | undefined {
  return pod.containers.find((c) => c.httpPort && c.bind !== '127.0.0.1')?.httpPort;
}

/**
 * A pod no NetworkPolicy selects (for ingress or egress). The paths that prove the open pod
 * network use only these; the network-policy path proves what the isolated ones may reach.
 */
export function policyFree(model: LabModel, p: PodModel): boolean {
  return !(model.networkPolicies ?? []).some(
    (np) => np.namespace === p.namespace && selectorMatches(np.podSelector, p.labels),
  );
}

export function servingPods(model: LabModel): PodModel[] {
  return model.pods.filter((p) => publicHttpPort(p) !== undefined && policyFree(model, p));
}

/** One pair of serving pods per node that holds two. */
export function sameNodePairs(model: LabModel): Array<[PodModel, PodModel]> {
  const pairs: Array<[PodModel, PodModel]> = [];
  for (const n of model.nodes) {
    const pods = servingPods(model).filter((p) => p.node === n.name);
    if (pods.length >= 2) pairs.push([pods[0], pods[1]]);
  }
  return pairs;
}

/**
 * Cross-node pairs: every ordered pair of nodes for small labs; a ring (each node to the next)
 * beyond `maxPairs`, so large labs still cover every node both ways.
 */
export function crossNodePairs(model: LabModel, maxPairs = 12): Array<[PodModel, PodModel]> {
  const first = model.nodes
    .map((n) => servingPods(model).find((p) => p.node === n.name))
    .filter((p): p is PodModel => !!p);
  const all: Array<[PodModel, PodModel]> = [];
  for (const a of first) for (const b of first) if (a.node !== b.node) all.push([a, b]);
  if (all.length <= maxPairs) return all;
  return first.map((a, i) => [a, first[(i + 1) % first.length]] as [PodModel, PodModel]);
}

/**
 * Routers that decrement a pod's TTL between two pods (the reply TTL is 64 minus this):
 *   vpc-routes  a's node, the VPC router (it holds the pod route), b's node: 3
 *   host-gw     a's node, b's node (straight over the subnet): 2
 *   vxlan       a's node, b's node: the VPC carries the outer packet, the inner TTL is untouched: 2
 *   vpc-native  a's node, b's node (proxy ARP on one subnet), plus the VPC router between two
 *               subnets; on one node, the node itself (pods are routed per veth, no bridge): 1
 * On one node with a cbr0 bridge: 0 (switched).
 */
export function routersBetween(model: LabModel, a: PodModel, b: PodModel): number {
  const cni = model.cluster.cni;
  if (a.node === b.node) return cni === 'vpc-native' ? 1 : 0;
  if (cni === 'vpc-routes') return 3;
  if (cni === 'vpc-native') return subnetOf(model, a) !== subnetOf(model, b) ? 3 : 2;
  return 2;
}

function subnetOf(model: LabModel, p: PodModel): string | undefined {
  return model.nodes.find((n) => n.name === p.node)?.subnet;
}

/** The interface a node sends a packet for another node's pod out of: flannel.1 in vxlan mode, else eth0. */
export function crossNodeDevice(model: LabModel): string {
  return model.cluster.cni === 'vxlan' ? 'flannel.1' : 'eth0';
}

/** The interface a pod's packets enter its node by: the pod's veth in vpc-native mode, else cbr0. */
export function podIngressDevice(model: LabModel, p: PodModel): string {
  return model.cluster.cni === 'vpc-native' ? p.hostVeth : 'cbr0';
}

/** Cross-node pod pairs whose nodes sit in different subnets (what host-gw cannot route). */
export function crossesSubnets(model: LabModel, a: PodModel, b: PodModel): boolean {
  return subnetOf(model, a) !== subnetOf(model, b);
}

/**
 * Addresses a node may put as the source of traffic it masquerades: eth0, cbr0, and in vxlan mode
 * flannel.1 (the pod block's .0), which the kernel picks for packets routed into the overlay.
 */
export function nodeAddresses(model: LabModel): string[] {
  return model.nodes.flatMap((n) => [n.ip, n.cbr0IP, ...(model.cluster.cni === 'vxlan' ? [vtepAddress(n)] : [])]);
}

/**
 * The server a pod asks in pod-ip-identity. Small labs: the first serving pod on another node. Large
 * labs (isLargeLab): the serving pods in turn, half the list ahead, moving on past pods of the
 * client's node, so each serving pod answers about once (every backend reached over the run) and
 * none serves a thousand clients.
 */
export function identityServer(model: LabModel, serving: PodModel[], pod: PodModel, i: number, large: boolean) {
  if (!large) return serving.find((s) => s.node !== pod.node) ?? serving.find((s) => s !== pod);
  const n = serving.length;
  for (let j = 0; j < n; j++) {
    const s = serving[(i + Math.floor(n / 2) + j) % n];
    if (s.node !== pod.node) return s;
  }
  return serving.find((s) => s !== pod);
}

/**
 * The pods node-to-pod reaches from a node. Small labs: every serving pod from every node. Large
 * labs: the node's own pods and the next node's (a ring), so every pod is reached from its node
 * and from another one: 2P requests instead of N·P.
 */
export function nodeToPodTargets(model: LabModel, nodeName: string, large: boolean): PodModel[] {
  const serving = servingPods(model);
  if (!large) return serving;
  const i = model.nodes.findIndex((n) => n.name === nodeName);
  const next = model.nodes[(i + 1) % model.nodes.length].name;
  return serving.filter((p) => p.node === nodeName || p.node === next);
}
