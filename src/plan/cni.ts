/**
 * The pod network modes (cluster.cni): what each adds to a node's root namespace, and what it
 * does to the pod MTU. Pure: every value comes from the model, so plans stay testable.
 *
 *   vpc-routes  the VPC router holds a route per node pod block (src/plan/vpc.ts); nothing here.
 *   host-gw     kindnet/flannel host-gw: a route per peer pod block via the peer's eth0 address.
 *   vxlan       flannel: flannel.1 (VNI 1, UDP 8472), static FDB + neighbour per peer VTEP.
 *   vpc-native  AWS VPC CNI: pods hold VPC addresses; the node proxy-ARPs for them on eth0
 *               (as ENI secondary addresses are delivered to the instance); the ptp plugin routes
 *               each /32 (src/plan/cni-config.ts).
 */
import { createHash } from 'crypto';
import { LabModel, NodeModel } from '../model/types';

/** VXLAN header overhead flannel subtracts: outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14. */
export const VXLAN_OVERHEAD = 50;
export const FLANNEL_DEV = 'flannel.1';
export const FLANNEL_VNI = 1;
/** flannel's VXLAN port (the Linux kernel default), not the IANA 4789. */
export const FLANNEL_PORT = 8472;

export function podMtu(model: LabModel): number {
  return model.cluster.cni === 'vxlan' ? model.cluster.mtu - VXLAN_OVERHEAD : model.cluster.mtu;
}

/** True when the mode puts pods on a cbr0 bridge (every mode but vpc-native, which routes each veth). */
export function usesBridge(model: LabModel): boolean {
  return model.cluster.cni !== 'vpc-native';
}

/**
 * A node's VTEP MAC, derived from its name: flannel lets the kernel pick one and publishes it in
 * the node's annotations; deriving it keeps the plan pure and the FDB entries knowable in advance.
 */
export function vtepMac(nodeName: string): string {
  const h = createHash('sha256').update(`flannel.1/${nodeName}`).digest();
  // Locally administered, unicast.
  h[0] = (h[0] & 0xfe) | 0x02;
  return [...h.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** flannel.1's address: the network address of the node's pod block, as a /32 (10.244.1.0). */
export function vtepAddress(node: NodeModel): string {
  return node.podCIDR.split('/')[0];
}

/** host-gw: one route per peer pod block via the peer's VPC address. */
export function renderHostGw(model: LabModel, node: NodeModel): string[] {
  const lines = [`# host-gw: routes to the other nodes' pod blocks via their eth0 addresses`];
  for (const peer of model.nodes) {
    if (peer.name === node.name) continue;
    if (peer.subnet === node.subnet) {
      lines.push(`ip route add ${peer.podCIDR} via ${peer.ip} dev eth0`);
    } else {
      // Only reachable with --force: the peer is not on this L2 segment, so the kernel would refuse
      // the next hop; onlink installs it anyway and the ARP for ${peer.ip} on eth0 goes unanswered.
      lines.push(`ip route add ${peer.podCIDR} via ${peer.ip} dev eth0 onlink`);
    }
  }
  return lines;
}

/** vxlan: flannel.1 and, per peer, the FDB entry, neighbour entry and route flannel's vxlan backend installs. */
export function renderVxlan(model: LabModel, node: NodeModel): string[] {
  const dev = FLANNEL_DEV;
  const lines = [
    `# vxlan (flannel): ${dev} VNI ${FLANNEL_VNI} on UDP ${FLANNEL_PORT}, VTEP ${vtepAddress(node)} ${vtepMac(node.name)}`,
    `ip link add ${dev} address ${vtepMac(node.name)} type vxlan id ${FLANNEL_VNI} local ${node.ip} dev eth0 dstport ${FLANNEL_PORT} nolearning`,
    `ip link set ${dev} mtu ${podMtu(model)}`,
    `ip addr add ${vtepAddress(node)}/32 dev ${dev}`,
    `ip link set ${dev} up`,
  ];
  for (const peer of model.nodes) {
    if (peer.name === node.name) continue;
    const mac = vtepMac(peer.name);
    const vtep = vtepAddress(peer);
    lines.push(
      `bridge fdb add ${mac} dev ${dev} dst ${peer.ip} self permanent`,
      `ip neigh add ${vtep} lladdr ${mac} dev ${dev} nud permanent`,
      `ip route add ${peer.podCIDR} via ${vtep} dev ${dev} onlink`,
    );
  }
  return lines;
}

/** vpc-native: the node answers ARP on eth0 for its pods' VPC addresses, at once (no proxy delay). */
export function renderVpcNative(): string[] {
  return [
    '# vpc-native: pods hold VPC addresses; answer ARP for them on eth0 as the VPC delivers ENI secondary IPs',
    'echo 1 > /proc/sys/net/ipv4/conf/eth0/proxy_arp',
    'echo 0 > /proc/sys/net/ipv4/neigh/eth0/proxy_delay',
  ];
}

/** What the node's CNI mode adds to its root namespace after eth0 (and cbr0) exist. */
export function renderCniNode(model: LabModel, node: NodeModel): string[] {
  switch (model.cluster.cni) {
    case 'host-gw':
      return renderHostGw(model, node);
    case 'vxlan':
      return renderVxlan(model, node);
    case 'vpc-native':
      return renderVpcNative();
    default:
      return [];
  }
}
