/**
 * The nodes of a topology (phase two of loading, see resolve.ts): names, container names, VPC
 * addresses, pod blocks and links, each checked against the cluster and subnet plans.
 */
import type { NodeModel } from '../model/types';
import {
  Cidr,
  containsCidr,
  firstHost,
  formatCidr,
  formatIp,
  isHostOf,
  lastHost,
  nthBlock,
  blockCount,
  overlaps,
  parseIp,
} from '../net/ipv4';
import { NODE_IP_OFFSET, RESERVED_CONTAINER_NAMES } from './defaults';
import { Issues } from './issues';
import { closest, dns1123LabelProblem, shortIfName } from './names';
import type { RawNode, RawTopology } from './raw';
import { checkLabels } from './workloads';
import { cidrField, type ClusterPlan } from './cluster';
import type { SubnetPlan } from './subnets';

export function resolveNodes(
  raw: RawTopology,
  lab: string,
  prefix: string,
  cluster: ClusterPlan,
  subnets: SubnetPlan[],
  issues: Issues,
): NodeModel[] {
  const nodes: RawNode[] = raw.nodes ?? [];
  const names = new Set<string>();
  const subnetNames = subnets.map((s) => s.subnet.name);
  const ips = new Map<number, string>(); // address -> node that holds it
  const chosenSubnet: (SubnetPlan | undefined)[] = [];
  const chosenIp: (number | undefined)[] = [];

  nodes.forEach((n, i) => {
    const f = `nodes[${i}]`;
    const problem = dns1123LabelProblem(n.name);
    if (problem) issues.add(`${f}.name`, problem, 'use a DNS-1123 label, e.g. node1');
    else if (names.has(n.name))
      issues.add(`${f}.name`, `duplicate node name "${n.name}"`, 'give every node a different name');
    else if (RESERVED_CONTAINER_NAMES.includes(n.name))
      issues.add(
        `${f}.name`,
        `"${n.name}" is reserved for a lab container`,
        `pick another name (reserved: ${RESERVED_CONTAINER_NAMES.join(', ')})`,
      );
    names.add(n.name);

    let sp: SubnetPlan | undefined;
    if (n.subnet !== undefined) {
      sp = subnets.find((s) => s.subnet.name === n.subnet);
      if (!sp) {
        const guess = closest(n.subnet, subnetNames);
        issues.add(
          `${f}.subnet`,
          `unknown subnet "${n.subnet}"`,
          `use one of: ${subnetNames.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`,
        );
      }
    } else if (subnets.length === 1) sp = subnets[0];
    else
      issues.add(
        `${f}.subnet`,
        'required field is missing: the VPC has several subnets',
        `add subnet: one of ${subnetNames.join(', ')}`,
      );
    chosenSubnet.push(sp);

    let ip: number | undefined;
    if (n.ip !== undefined && sp?.net) {
      const a = parseIp(n.ip);
      if (a === undefined)
        issues.add(
          `${f}.ip`,
          `"${n.ip}" is not an IPv4 address`,
          `use a host address of ${sp.subnet.cidr}, or leave ip out`,
        );
      else if (!isHostOf(sp.net, a))
        issues.add(
          `${f}.ip`,
          `${n.ip} is outside subnet ${sp.subnet.name} (${sp.subnet.cidr})`,
          `use an address between ${formatIp(firstHost(sp.net))} and ${formatIp(lastHost(sp.net))}, or leave ip out`,
        );
      else if (a === sp.gateway)
        issues.add(
          `${f}.ip`,
          `${n.ip} is the gateway of subnet ${sp.subnet.name} (the VPC router)`,
          `pick another address, or leave ip out (allocated from .${NODE_IP_OFFSET} up)`,
        );
      else if (ips.has(a))
        issues.add(
          `${f}.ip`,
          `${n.ip} is already used by node ${ips.get(a)}`,
          'give each node a different address, or leave ip out',
        );
      else {
        ips.set(a, n.name);
        ip = a;
      }
    }
    chosenIp.push(ip);
  });

  // Allocate the rest from .10 up (tiny subnets: from the first host), skipping taken addresses.
  nodes.forEach((n, i) => {
    const sp = chosenSubnet[i];
    if (chosenIp[i] !== undefined || n.ip !== undefined || !sp?.net) return;
    const net = sp.net;
    let a = net.network + NODE_IP_OFFSET <= lastHost(net) ? net.network + NODE_IP_OFFSET : firstHost(net);
    while (a <= lastHost(net) && (ips.has(a) || a === sp.gateway)) a++;
    if (a > lastHost(net)) {
      issues.add(
        `nodes[${i}]`,
        `no free address left for node ${n.name} in subnet ${sp.subnet.name} (${sp.subnet.cidr})`,
        'use a larger subnet or spread the nodes over more subnets',
      );
      return;
    }
    ips.set(a, n.name);
    chosenIp[i] = a;
  });

  // Pod blocks: explicit ones first, then consecutive free blocks of the pod CIDR (as kind does).
  const blocks: (Cidr | undefined)[] = nodes.map(() => undefined);
  const podNet = cluster.podNet;
  const prefixOk = podNet && cluster.settings.nodePodPrefix > podNet.prefix && cluster.settings.nodePodPrefix <= 30;
  nodes.forEach((n, i) => {
    if (n.podCIDR === undefined || !podNet) return;
    const f = `nodes[${i}].podCIDR`;
    const b = cidrField(
      n.podCIDR,
      f,
      issues,
      formatCidr(nthBlock(podNet, Math.max(cluster.settings.nodePodPrefix, podNet.prefix), 0) ?? podNet),
    );
    if (!b) return;
    if (!containsCidr(podNet, b) || b.prefix === podNet.prefix)
      issues.add(
        f,
        `${n.podCIDR} is not a block inside cluster.podCIDR ${cluster.settings.podCIDR}`,
        `use a /${cluster.settings.nodePodPrefix} inside ${cluster.settings.podCIDR}, or leave podCIDR out`,
      );
    else if (b.prefix > 30) issues.add(f, `${n.podCIDR} is too small for cbr0 and a pod`, 'use a /30 or larger block');
    else {
      const other = blocks.findIndex((o) => o && overlaps(o, b));
      if (other >= 0)
        issues.add(
          f,
          `${n.podCIDR} overlaps the pod block of node ${nodes[other].name}`,
          'give each node a distinct block, or leave podCIDR out',
        );
      else blocks[i] = b;
    }
  });
  if (podNet && prefixOk) {
    const total = blockCount(podNet, cluster.settings.nodePodPrefix);
    let next = 0;
    let reported = false;
    nodes.forEach((n, i) => {
      if (n.podCIDR !== undefined) return;
      let b: Cidr | undefined;
      while (next < total) {
        const cand = nthBlock(podNet, cluster.settings.nodePodPrefix, next++)!;
        if (!blocks.some((o) => o && overlaps(o, cand))) {
          b = cand;
          break;
        }
      }
      if (!b) {
        if (!reported)
          issues.add(
            'cluster.podCIDR',
            `${cluster.settings.podCIDR} split into /${cluster.settings.nodePodPrefix} blocks gives ${total} node blocks, not enough for ${nodes.length} nodes`,
            'use a larger cluster.podCIDR or a longer cluster.nodePodPrefix',
          );
        reported = true;
        return;
      }
      blocks[i] = b;
    });
  }

  const vpcIfaces = new Set<string>();
  return nodes.map((n, i): NodeModel => {
    const f = `nodes[${i}]`;
    const sp = chosenSubnet[i];
    checkLabels(n.labels, `${f}.labels`, issues);
    const hostLabel = n.labels?.['kubernetes.io/hostname'];
    if (hostLabel !== undefined && hostLabel !== n.name)
      issues.add(
        `${f}.labels["kubernetes.io/hostname"]`,
        `is set by the kubelet to the node name (${n.name})`,
        'remove this label',
      );
    if (n.publicIP !== undefined && parseIp(n.publicIP) === undefined)
      issues.add(
        `${f}.publicIP`,
        `"${n.publicIP}" is not an IPv4 address`,
        'use a dotted quad such as 203.0.113.11, or leave it out',
      );
    let vpcIface = shortIfName('v-', n.name);
    for (let k = 1; vpcIfaces.has(vpcIface); k++) vpcIface = shortIfName('v-', `${n.name}#${k}`);
    vpcIfaces.add(vpcIface);
    const block = blocks[i];
    return {
      name: n.name,
      container: `${prefix}-${lab}-${n.name}`,
      labels: { ...(n.labels ?? {}), 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux' },
      subnet: sp?.subnet.name ?? n.subnet ?? '',
      ip: chosenIp[i] !== undefined ? formatIp(chosenIp[i]!) : (n.ip ?? ''),
      prefixLen: sp?.net?.prefix ?? 0,
      gateway: sp?.subnet.gateway ?? '',
      podCIDR: block ? formatCidr(block) : (n.podCIDR ?? ''),
      cbr0IP: block ? formatIp(firstHost(block)) : '',
      vpcIface,
      ...(n.publicIP !== undefined ? { publicIP: n.publicIP } : {}),
    };
  });
}
