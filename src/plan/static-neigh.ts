/**
 * Static (NUD_PERMANENT) neighbour entries for both ends of every pod's link, programmed by the
 * lab's kubelet/CNI side right after CNI ADD, from what the ADD result says (the pod interface's
 * MAC and the MAC of the host side that owns the pod's gateway): on the node, the pod's address on
 * cbr0 (bridge modes) or on its host veth (ptp, vpc-native); in the pod, its gateway on eth0.
 * Everything else (pod to pod on one bridge, node to node, the VPC router, proxy ARP in
 * vpc-native) keeps resolving through the kernel's ARP.
 *
 * Why: every namespace of a lab shares the host kernel's one ARP table, and neigh_alloc refuses a
 * new entry once the table's gc_entries reach net.ipv4.neigh.default.gc_thresh3 (1024 by default;
 * "neighbor table overflow!"). Permanent entries are created exempt from garbage collection and are
 * not counted in gc_entries (net/core/neighbour.c, Linux 6.18: neigh_add passes exempt_from_gc =
 * ndm_state & NUD_PERMANENT to ___neigh_create, and neigh_alloc skips the gc_entries count and the
 * gc_thresh3 check for it; since 4.19, "neighbor: Improve garbage collection"). So the 2 entries per
 * pod a large lab would need from the table (2,000 at 1,000 pods) no longer count against it, and
 * the lab never touches the host's sysctls. See docs/reference/neighbour-table.md.
 *
 * Fidelity: Calico's felix programs the node side the same way, a static ARP entry for every local
 * workload's address and MAC on its host interface (felix/routetable/route_table.go,
 * addStaticARPEntry for each target with a DestMAC). The bridge and ptp plugins (kubenet, flannel,
 * the AWS VPC CNI's layout) leave both ends to ARP; the pod-side gateway entry is the lab's own.
 * Captures filter IPv4 only (src/paths/common/trace.ts), so no probe or trace sees the difference.
 */
import type { LabModel, NodeModel, PodModel } from '../model/types';
import { usesBridge } from './cni';
import { q } from './shell';

/**
 * Lines that read the `cni-result <netns> ip=… host=… mac=… gwmac=…` lines of a CNI ADD batch from
 * `results` (a shell word, e.g. "$out") and program the entries: the node side in one `ip -batch`,
 * the pod side with one `ip -n <netns>` per pod. A result without MACs ('-') leaves that pod to ARP.
 */
export function renderStaticNeighbours(model: LabModel, node: NodeModel, results: string): string[] {
  // Bridge modes: the node reaches its pods through cbr0 (the L3 device); ptp: through each host veth.
  const dev = usesBridge(model) ? 'cbr0' : '$host';
  return [
    `# static neighbours: pod -> ${node.cbr0IP} (gateway) and node -> pod on ${usesBridge(model) ? 'cbr0' : 'the host veth'}, from the CNI ADD results (src/plan/static-neigh.ts)`,
    'nb=$(mktemp)',
    'while read -r tag ns ip host mac gwmac; do',
    '  [ "$tag" = cni-result ] || continue',
    '  ip=${ip#ip=}; ip=${ip%/*}; host=${host#host=}; mac=${mac#mac=}; gwmac=${gwmac#gwmac=}',
    '  [ -n "$mac" ] && [ "$mac" != - ] && [ -n "$gwmac" ] && [ "$gwmac" != - ] || continue',
    `  echo "neigh replace $ip lladdr $mac dev ${dev} nud permanent" >> "$nb"`,
    `  ip -n "$ns" neigh replace ${q(node.cbr0IP)} lladdr "$gwmac" dev eth0 nud permanent`,
    `done < ${results}`,
    '[ ! -s "$nb" ] || ip -batch "$nb"',
    'rm -f "$nb"',
  ];
}

/** The node-side entry goes with the pod (bridge modes; a ptp host veth takes its entries with it). */
export function renderStaticNeighbourDelete(model: LabModel, pod: Pick<PodModel, 'ip'>): string[] {
  if (!usesBridge(model) || !pod.ip) return [];
  return [`ip neigh del ${q(pod.ip)} dev cbr0 2>/dev/null || true`];
}
