/**
 * The Internet gateway: the VPC's way out, as the guide's Internet gateway. It routes between
 * the VPC router (transit link vpc0) and the Internet network (inet0) and does the 1:1 NAT of
 * every node public IP: DNAT public -> private on the way in, SNAT private -> public on the way
 * out. VPC addresses without a public IP leave as the gateway's own public address (NAT gateway).
 */
import type { LabModel } from '../model/types';
import { q, writeFileLines } from '../plan/shell';
import { EDGE_DIR, prefixLen, restoreWithJumps, rpFilterOff } from './common';

export const IGW_PREROUTING = 'IGW-PREROUTING';
export const IGW_POSTROUTING = 'IGW-POSTROUTING';

/** nat rules of the gateway (iptables-restore --noflush input). */
export function renderIgwNat(model: LabModel): string {
  const e = model.edge!;
  const inet = e.igw.internetIface;
  const out = ['*nat', `:${IGW_PREROUTING} - [0:0]`, `:${IGW_POSTROUTING} - [0:0]`];
  for (const n of model.nodes) {
    if (!n.publicIP) continue;
    out.push(
      `-A ${IGW_PREROUTING} -d ${n.publicIP}/32 -i ${inet} -m comment --comment "${n.name} public IP" -j DNAT --to-destination ${n.ip}`,
    );
  }
  for (const n of model.nodes) {
    if (!n.publicIP) continue;
    out.push(
      `-A ${IGW_POSTROUTING} -s ${n.ip}/32 -o ${inet} -m comment --comment "${n.name} public IP" -j SNAT --to-source ${n.publicIP}`,
    );
  }
  for (const s of model.subnets) {
    out.push(
      `-A ${IGW_POSTROUTING} -s ${s.cidr} -o ${inet} -m comment --comment "${s.name} addresses without a public IP" -j SNAT --to-source ${e.natIP}`,
    );
  }
  out.push('COMMIT');
  return out.join('\n') + '\n';
}

export function renderIgw(model: LabModel): string[] {
  const e = model.edge!;
  const g = e.igw;
  const file = `${EDGE_DIR}/igw-nat.rules`;
  return [
    `# igw: ${g.iface} ${g.ip}/${g.prefixLen} to the VPC router, ${g.internetIface} ${g.internetIP}/${prefixLen(e.internetCIDR)} on the Internet`,
    'ip link set lo up',
    `ip addr add ${g.ip}/${g.prefixLen} dev ${q(g.iface)}`,
    `ip link set ${q(g.iface)} up`,
    `ip addr add ${g.internetIP}/${prefixLen(e.internetCIDR)} dev ${q(g.internetIface)}`,
    `ip link set ${q(g.internetIface)} up`,
    // The VPC and everything public behind it (load balancer pool, ingress) are reached through the VPC router.
    ...model.subnets.map((s) => `ip route add ${s.cidr} via ${g.vpcIP}`),
    `ip route add ${e.publicCIDR} via ${g.vpcIP}`,
    `ip route add ${e.internet.otherClientCIDR} via ${e.internet.ip}`,
    ...rpFilterOff([g.iface, g.internetIface]),
    ...writeFileLines(file, renderIgwNat(model), { mkdir: true }),
    ...restoreWithJumps(model.cluster.iptablesBackend, file, [
      { table: 'nat', chain: 'PREROUTING', spec: `-j ${IGW_PREROUTING}` },
      { table: 'nat', chain: 'POSTROUTING', spec: `-j ${IGW_POSTROUTING}` },
    ]),
  ];
}
