/**
 * vpc-native (AWS VPC CNI style) address plan: pods take addresses of their node's VPC subnet.
 * Each node gets an aligned block of its subnet for its pods, as an ENI gets secondary addresses
 * (or /28 prefixes with prefix delegation); the block is the node's podCIDR in the model, so the
 * same host-local IPAM hands out pod addresses at `lab up` and on `lab scale`.
 */
import { Cidr, blockCount, broadcast, contains, formatCidr, maskOf, nthBlock, parseIp } from '../net/ipv4';
import { Issues } from './issues';

export interface VpcNativeSubnet {
  name: string;
  cidr: string;
  net?: Cidr;
  gateway?: number;
  /** Field to name when the subnet is too small (e.g. `vpc.subnets[0].cidr`). */
  field: string;
}

export interface VpcNativeNode {
  name: string;
  subnet: string;
  ip: string;
}

/** host-local IPAM blocks need a /30 at least (one pod address besides the skipped first host). */
const SMALLEST_BLOCK = 30;

/**
 * Splits each subnet into the largest equal aligned blocks such that every node of the subnet
 * gets one block holding neither the router's nor any node's address. Returns node name -> block.
 */
export function allocateVpcNativeBlocks(
  subnets: VpcNativeSubnet[],
  nodes: VpcNativeNode[],
  issues: Issues,
): Map<string, Cidr> {
  const out = new Map<string, Cidr>();
  for (const s of subnets) {
    const members = nodes.filter((n) => n.subnet === s.name);
    if (!s.net || members.length === 0) continue;
    const taken = [s.gateway, ...nodes.map((n) => parseIp(n.ip))].filter(
      (a): a is number => a !== undefined && contains(s.net!, a),
    );
    let chosen: Cidr[] | undefined;
    for (let p = s.net.prefix + 1; p <= SMALLEST_BLOCK && !chosen; p++) {
      const free: Cidr[] = [];
      for (let i = 0; i < blockCount(s.net, p); i++) {
        const b = nthBlock(s.net, p, i)!;
        if (!taken.some((a) => contains(b, a))) free.push(b);
      }
      if (free.length >= members.length) chosen = free;
    }
    if (!chosen) {
      issues.add(
        s.field,
        `${s.cidr} is too small for vpc-native: besides the router and ${members.length} node address(es) ` +
          `it has no room for a block of pod addresses per node (${members.map((m) => m.name).join(', ')})`,
        'use a larger subnet (e.g. a /24), fewer nodes in it, or another cni mode (vpc-routes, vxlan)',
      );
      continue;
    }
    members.forEach((m, i) => out.set(m.name, chosen![i]));
  }
  return out;
}

/** The smallest CIDR holding every subnet: the "VPC CIDR", kube-proxy's cluster CIDR in this mode (as on EKS). */
export function coveringCidr(nets: Cidr[]): string | undefined {
  if (nets.length === 0) return undefined;
  const lo = Math.min(...nets.map((n) => n.network));
  const hi = Math.max(...nets.map((n) => broadcast(n)));
  for (let prefix = 32; prefix > 0; prefix--) {
    const network = (lo & maskOf(prefix)) >>> 0;
    if (broadcast({ network, prefix }) >= hi) return formatCidr({ network, prefix });
  }
  return '0.0.0.0/0';
}
