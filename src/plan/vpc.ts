/**
 * The VPC router: one bridge per subnet (each subnet is one L2 segment, as in a cloud VPC) holding
 * the subnet's gateway address, and, in vpc-routes mode, a route for each node's pod CIDR to that
 * node: the guide's "the network can route the CIDR block to the correct node".
 */
import { LabModel } from '../model/types';
import { prefixOf } from './node';
import { q } from './shell';

export function renderVpc(model: LabModel): string[] {
  const lines = ['# vpc router', 'ip link set lo up'];
  for (const s of model.subnets) {
    lines.push(
      `ip link add ${q(s.bridge)} type bridge`,
      `ip link set ${q(s.bridge)} mtu ${model.cluster.mtu}`,
      `ip addr add ${s.gateway}/${prefixOf(s.cidr)} dev ${q(s.bridge)}`,
      `ip link set ${q(s.bridge)} up`,
    );
  }
  for (const n of model.nodes) {
    const s = model.subnets.find((x) => x.name === n.subnet);
    if (!s) throw new Error(`node ${n.name}: unknown subnet ${n.subnet}`);
    lines.push(`ip link set ${q(n.vpcIface)} master ${q(s.bridge)} up`);
  }
  // Nodes share a segment with the router: without this it would answer routed packets with redirects.
  lines.push('for f in /proc/sys/net/ipv4/conf/*/send_redirects; do echo 0 > "$f"; done');
  if (model.cluster.cni === 'vpc-routes') {
    for (const n of model.nodes) lines.push(`ip route add ${n.podCIDR} via ${n.ip}`);
  }
  return lines;
}
