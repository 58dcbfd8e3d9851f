/**
 * The VPC router's edge: transit links to the gateway and the load balancer, the default route
 * to the Internet gateway, the load balancer pool routed to the load balancer, and the cloud's
 * "magic" return path: replies to connections the load balancer opened to nodes go back through
 * the load balancer (which un-DNATs them), even though they are addressed to an Internet client.
 */
import type { EdgeAttachment, LabModel } from '../model/types';
import { q, writeFileLines } from '../plan/shell';
import { EDGE_DIR, restoreWithJumps, rpFilterOff } from './common';

export const LB_RETURN_CHAIN = 'EDGE-LB-RETURN';
/** Mark bit and routing table of the return path (the VPC router runs no kube-proxy: no clash). */
export const LB_RETURN_MARK = '0x10';
export const LB_RETURN_TABLE = 110;

/** Container-independent lines for one edge attachment, VPC router side. */
export function renderVpcAttachment(att: EdgeAttachment, publicIPs: string[] = []): string[] {
  return [
    `ip addr add ${att.vpcIP}/${att.prefixLen} dev ${q(att.vpcIface)}`,
    `ip link set ${q(att.vpcIface)} up`,
    `echo 0 > /proc/sys/net/ipv4/conf/${att.vpcIface}/rp_filter`,
    ...publicIPs.map((ip) => `ip route replace ${ip}/32 via ${att.ip}`),
  ];
}

export function renderVpcReturnRules(lbIface: string): string {
  return [
    '*mangle',
    `:${LB_RETURN_CHAIN} - [0:0]`,
    `-A ${LB_RETURN_CHAIN} -i ${lbIface} -m conntrack --ctstate NEW -m comment --comment "connections the cloud load balancer opens to nodes" -j CONNMARK --set-xmark ${LB_RETURN_MARK}/${LB_RETURN_MARK}`,
    `-A ${LB_RETURN_CHAIN} ! -i ${lbIface} -m connmark --mark ${LB_RETURN_MARK}/${LB_RETURN_MARK} -m comment --comment "their replies return through the load balancer" -j MARK --set-xmark ${LB_RETURN_MARK}/${LB_RETURN_MARK}`,
    'COMMIT',
    '',
  ].join('\n');
}

export function renderVpcEdge(model: LabModel): string[] {
  const e = model.edge!;
  const file = `${EDGE_DIR}/vpc-lb-return.rules`;
  return [
    `# vpc router edge: ${e.igw.vpcIface} to the Internet gateway, ${e.lb.vpcIface} to the load balancer`,
    ...renderVpcAttachment(e.igw),
    ...renderVpcAttachment(e.lb),
    ...rpFilterOff([]),
    `ip route replace default via ${e.igw.ip}`,
    `ip route add ${e.loadBalancerPool} via ${e.lb.ip}`,
    // Unassigned public addresses end here instead of bouncing between the gateway and the router.
    `ip route add unreachable ${e.publicCIDR}`,
    ...writeFileLines(file, renderVpcReturnRules(e.lb.vpcIface), { mkdir: true }),
    ...restoreWithJumps(model.cluster.iptablesBackend, file, [
      { table: 'mangle', chain: 'PREROUTING', spec: `-j ${LB_RETURN_CHAIN}` },
    ]),
    `ip rule add fwmark ${LB_RETURN_MARK}/${LB_RETURN_MARK} lookup ${LB_RETURN_TABLE} priority ${LB_RETURN_TABLE}`,
    `ip route add default via ${e.lb.ip} table ${LB_RETURN_TABLE}`,
  ];
}
