/** The `edge` section of `lab status`: gateway, Internet host, load balancer, public addresses. */
import type { LabModel } from '../model/types';

export interface EdgeStatus {
  igw: { container: string; vpcIP: string; internetIP: string; natIP: string };
  internet: { container: string; ip: string; otherClientIP: string; dns: string; whoami: string };
  lb: { container: string; ip: string; pool: string };
  ingressIP: string;
  nodePublicIPs: Record<string, string | null>;
  loadBalancers: Array<{
    service: string;
    ip: string;
    ports: string[];
    externalTrafficPolicy: string;
    healthCheckNodePort?: number;
    sourceRanges?: string[];
  }>;
}

export function edgeStatus(model: LabModel): EdgeStatus {
  const e = model.edge!;
  return {
    igw: { container: e.igw.container, vpcIP: e.igw.ip, internetIP: e.igw.internetIP, natIP: e.natIP },
    internet: {
      container: e.internet.container,
      ip: e.internet.ip,
      otherClientIP: e.internet.otherClientIP,
      dns: model.internetDns ?? e.internet.ip,
      whoami: `http://${e.internet.ip}/`,
    },
    lb: { container: e.lb.container, ip: e.lb.ip, pool: e.loadBalancerPool },
    ingressIP: e.ingressIP,
    nodePublicIPs: Object.fromEntries(model.nodes.map((n) => [n.name, n.publicIP ?? null])),
    loadBalancers: model.services
      .filter((s) => s.type === 'LoadBalancer')
      .map((s) => ({
        service: `${s.namespace}/${s.name}`,
        ip: s.loadBalancerIP ?? '<pending>',
        ports: s.ports.map((p) => `${p.port}/${p.protocol}${p.nodePort ? `:${p.nodePort}` : ''}`),
        externalTrafficPolicy: s.externalTrafficPolicy,
        ...(s.healthCheckNodePort ? { healthCheckNodePort: s.healthCheckNodePort } : {}),
        ...(s.loadBalancerSourceRanges?.length ? { sourceRanges: s.loadBalancerSourceRanges } : {}),
      })),
  };
}

export function renderEdgeStatus(e: EdgeStatus): string[] {
  const out = [
    `internet gateway ${e.igw.vpcIP} / ${e.igw.internetIP} (NAT address ${e.igw.natIP})  internet host ${e.internet.ip} (+${e.internet.otherClientIP}, DNS ${e.internet.dns})  load balancer ${e.lb.ip} pool ${e.lb.pool}  ingress ${e.ingressIP}`,
    `public IPs: ${Object.entries(e.nodePublicIPs)
      .map(([n, ip]) => `${n} ${ip ?? '-'}`)
      .join(', ')}`,
  ];
  for (const l of e.loadBalancers)
    out.push(
      `LOADBALANCER ${l.service} ${l.ip} ${l.ports.join(',')} externalTrafficPolicy ${l.externalTrafficPolicy}${l.healthCheckNodePort ? ` healthCheckNodePort ${l.healthCheckNodePort}` : ''}${l.sourceRanges ? ` sourceRanges ${l.sourceRanges.join(',')}` : ''}`,
    );
  return out;
}
