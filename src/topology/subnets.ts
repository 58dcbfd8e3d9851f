/**
 * The VPC subnets of a topology (phase two of loading, see resolve.ts): their CIDRs and gateways
 * checked, and in vpc-native mode each node's pod block carved out of its subnet.
 */
import type { NodeModel, Subnet } from '../model/types';
import { Cidr, firstHost, formatCidr, formatIp, isHostOf, lastHost, overlaps, parseIp } from '../net/ipv4';
import { DEFAULT_SUBNET } from './defaults';
import { Issues } from './issues';
import { dns1123LabelProblem, shortIfName } from './names';
import type { RawSubnet, RawTopology } from './raw';
import { allocateVpcNativeBlocks, coveringCidr } from './vpc-native';
import { cidrField, type ClusterPlan } from './cluster';

export interface SubnetPlan {
  subnet: Subnet;
  net?: Cidr;
  gateway?: number;
}

export function resolveSubnets(raw: RawTopology, cluster: ClusterPlan, issues: Issues): SubnetPlan[] {
  const given = raw.vpc?.subnets;
  const list: RawSubnet[] = given && given.length ? given : [DEFAULT_SUBNET];
  const fieldBase = given && given.length ? 'vpc.subnets' : 'vpc.subnets (default)';
  const seen = new Set<string>();
  const bridges = new Set<string>();
  const plans: SubnetPlan[] = list.map((s, i) => {
    const f = `${fieldBase}[${i}]`;
    const problem = dns1123LabelProblem(s.name);
    if (problem) issues.add(`${f}.name`, problem, 'use a DNS-1123 label, e.g. subnet-a');
    else if (seen.has(s.name))
      issues.add(`${f}.name`, `duplicate subnet name "${s.name}"`, 'give every subnet a different name');
    seen.add(s.name);
    const net = cidrField(s.cidr, `${f}.cidr`, issues, '10.0.1.0/24');
    let gateway: number | undefined;
    if (net && net.prefix > 29) {
      issues.add(
        `${f}.cidr`,
        `${s.cidr} is too small for a router and nodes`,
        'use a /29 or larger subnet, e.g. 10.0.1.0/24',
      );
    } else if (net) {
      if (s.gateway !== undefined) {
        const g = parseIp(s.gateway);
        if (g === undefined)
          issues.add(
            `${f}.gateway`,
            `"${s.gateway}" is not an IPv4 address`,
            `use a host address of ${s.cidr}, e.g. ${formatIp(firstHost(net))}`,
          );
        else if (!isHostOf(net, g))
          issues.add(
            `${f}.gateway`,
            `${s.gateway} is not a host address of ${s.cidr}`,
            `use an address between ${formatIp(firstHost(net))} and ${formatIp(lastHost(net))}`,
          );
        else gateway = g;
      } else gateway = firstHost(net);
    }
    let bridge = shortIfName('br-', s.name);
    for (let k = 1; bridges.has(bridge); k++) bridge = shortIfName('br-', `${s.name}#${k}`);
    bridges.add(bridge);
    return {
      subnet: {
        name: s.name,
        cidr: s.cidr,
        gateway: gateway !== undefined ? formatIp(gateway) : (s.gateway ?? ''),
        bridge,
      },
      net,
      gateway,
    };
  });
  // Routing needs every range to be distinct: VPC subnets, pod CIDR, service CIDR.
  plans.forEach((p, i) => {
    if (!p.net) return;
    const f = `${fieldBase}[${i}].cidr`;
    for (let j = 0; j < i; j++) {
      const q = plans[j];
      if (q.net && overlaps(p.net, q.net))
        issues.add(
          f,
          `${p.subnet.cidr} overlaps subnet ${q.subnet.name} (${q.subnet.cidr})`,
          'VPC subnets must not overlap: pick disjoint ranges, e.g. 10.0.1.0/24 and 10.0.2.0/24',
        );
    }
    if (cluster.podNet && overlaps(p.net, cluster.podNet))
      issues.add(
        f,
        `${p.subnet.cidr} overlaps cluster.podCIDR ${cluster.settings.podCIDR}`,
        'VPC subnets, the pod CIDR and the service CIDR must be disjoint: move the subnet (e.g. 10.0.1.0/24) or the podCIDR',
      );
    if (cluster.serviceNet && overlaps(p.net, cluster.serviceNet))
      issues.add(
        f,
        `${p.subnet.cidr} overlaps cluster.serviceCIDR ${cluster.settings.serviceCIDR}`,
        'VPC subnets, the pod CIDR and the service CIDR must be disjoint: move the subnet (e.g. 10.0.1.0/24) or the serviceCIDR',
      );
  });
  return plans;
}

/**
 * vpc-native: pods take addresses of their node's subnet. Each node's podCIDR becomes its block of
 * the subnet, the pods' gateway is the block's first address (the ptp CNI plugin puts host-local's
 * gateway on every host veth; the AWS VPC CNI's own plugin uses 169.254.1.1, which ptp cannot:
 * it installs the IPAM routes before the gateway's link route), and the cluster CIDR kube-proxy uses
 * to tell pod traffic apart is the VPC range (the covering CIDR of the subnets), as on EKS.
 */
export function applyVpcNative(
  raw: RawTopology,
  cluster: ClusterPlan,
  subnets: SubnetPlan[],
  nodes: NodeModel[],
  issues: Issues,
): void {
  const fieldBase = raw.vpc?.subnets?.length ? 'vpc.subnets' : 'vpc.subnets (default)';
  const blocks = allocateVpcNativeBlocks(
    subnets.map((s, i) => ({
      name: s.subnet.name,
      cidr: s.subnet.cidr,
      net: s.net,
      gateway: s.gateway,
      field: `${fieldBase}[${i}].cidr`,
    })),
    nodes,
    issues,
  );
  for (const n of nodes) {
    const b = blocks.get(n.name);
    n.podCIDR = b ? formatCidr(b) : '';
    n.cbr0IP = b ? formatIp(firstHost(b)) : '';
  }
  const vpcCidr = coveringCidr(subnets.map((s) => s.net).filter((x): x is Cidr => !!x));
  if (vpcCidr) cluster.settings.podCIDR = vpcCidr;
}
