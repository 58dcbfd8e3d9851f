/**
 * Container specs of the edge (igw, internet, lb, and any later edge container such as ingress):
 * the same least-privilege spec as the nodes (network mode none, explicit caps, labelled).
 */
import type { EdgeAttachment, LabModel, Role } from '../model/types';
import type { ContainerSpec } from '../plan/container-spec';
import { privilegesFor } from '../plan/security';
import { q } from '../plan/shell';

const SYSCTLS = {
  'net.ipv4.ip_forward': '1',
  'net.ipv6.conf.all.disable_ipv6': '1',
  'net.ipv6.conf.default.disable_ipv6': '1',
};

export function edgeSpec(model: LabModel, name: string, container: string, role: Role, image: string): ContainerSpec {
  return {
    name: container,
    hostname: name,
    image,
    lab: model.name,
    role,
    privileges: privilegesFor(role),
    sysctls: SYSCTLS,
    cmd: ['sleep', 'infinity'],
  };
}

/** igw, internet host, lb: created with the nodes, before the fabric step. */
export function edgeSpecs(model: LabModel, image: string): ContainerSpec[] {
  const e = model.edge;
  if (!e) return [];
  return [
    edgeSpec(model, 'igw', e.igw.container, 'igw', image),
    edgeSpec(model, 'internet', e.internet.container, 'internet', image),
    edgeSpec(model, 'lb', e.lb.container, 'lb', image),
  ];
}

/**
 * Container side of an edge attachment: its transit address, default route via the VPC router,
 * and its public addresses on lo (traffic to them is routed here by the VPC router).
 */
export function renderAttachmentSide(att: EdgeAttachment, publicIPs: string[] = []): string[] {
  return [
    'ip link set lo up',
    `ip addr add ${att.ip}/${att.prefixLen} dev ${q(att.iface)}`,
    `ip link set ${q(att.iface)} up`,
    `ip route replace default via ${att.vpcIP}`,
    ...publicIPs.map((ip) => `ip addr replace ${ip}/32 dev lo`),
  ];
}
