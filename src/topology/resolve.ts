/**
 * Phase two of loading a topology: raw -> LabModel. Applies defaults and CLI overrides, checks
 * every address plan (CIDRs, overlaps, node IPs, pod blocks), names containers and interfaces,
 * and hands the Kubernetes objects to the workload resolver (controllers, scheduler, IPAM,
 * Services). Collects every problem and throws them together as InputErrors before anything
 * is created.
 */
import { isAbsolute, resolve as resolvePath } from 'path';
import { InputError, InputErrors } from '../errors';
import type {
  ClusterSettings,
  CniMode,
  DnsServerSetting,
  IptablesBackend,
  ProxyMode,
  LabContainer,
  LabModel,
  LinkModel,
  NodeModel,
  Subnet,
} from '../model/types';
import {
  Cidr,
  cidrProblem,
  containsCidr,
  firstHost,
  formatCidr,
  formatIp,
  isHostOf,
  lastHost,
  nthBlock,
  blockCount,
  overlaps,
  parseCidr,
  parseIp,
} from '../net/ipv4';
import {
  CLUSTER_DEFAULTS,
  CNI_MODES,
  DEFAULT_PREFIX,
  DNS_SERVERS,
  DEFAULT_SUBNET,
  IPTABLES_BACKENDS,
  IPVS_SCHEDULERS,
  MTU_MAX,
  MTU_MIN,
  NODE_IP_OFFSET,
  PROXY_MODES,
  RESERVED_CONTAINER_NAMES,
} from './defaults';
import { Issues } from './issues';
import { closest, dns1123LabelProblem, dns1123SubdomainProblem, shortIfName } from './names';
import type { RawNode, RawSubnet, RawTopology, SourcedObject, TopologyOverrides } from './raw';
import { checkTopology, readManifest } from './validate';
import { newPolicy } from './read-limits';
import { checkLabels, resolveWorkloads } from './workloads';
import { clusterDnsObjects, declaresClusterDns } from './cluster-dns';
import { coreDnsObjects } from './dns-server';
import { assignLoadBalancerIPs, assignNodePublicIPs, edgeLinks, resolveEdge } from './edge';
import { allocateVpcNativeBlocks, coveringCidr } from './vpc-native';
import { parseIngresses } from '../ingress/parse';
import { namespaceLabels, parseNetworkPolicies } from './netpol';

export interface ResolveOptions {
  /** Path of the topology file (stored in the model). */
  source?: string;
  /** Directory manifest paths are relative to (default: the source's directory, else cwd). */
  baseDir?: string;
  /** CLI flags; reported as `--proxy` etc. when invalid. */
  overrides?: TopologyOverrides;
  /** Objects already read by load.ts (inline + manifests); read from raw when absent. */
  objects?: SourcedObject[];
  /** Problems load.ts found while reading `objects`, reported with the rest. */
  objectErrors?: InputError[];
}

/** Cluster settings plus their parsed ranges (undefined where the value was invalid). */
interface ClusterPlan {
  settings: ClusterSettings;
  podNet?: Cidr;
  serviceNet?: Cidr;
  nodePortRange?: [number, number];
}

function enumCheck(value: string, allowed: readonly string[], field: string, issues: Issues): void {
  if (allowed.includes(value)) return;
  const guess = closest(value, allowed);
  issues.add(
    field,
    `"${value}" is not a valid value`,
    `use one of: ${allowed.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`,
  );
}

function cidrField(value: string, field: string, issues: Issues, example: string): Cidr | undefined {
  const problem = cidrProblem(value);
  if (problem) {
    issues.add(field, problem.message, problem.fix ? `use ${problem.fix}` : `write an IPv4 CIDR such as ${example}`);
    return undefined;
  }
  return parseCidr(value);
}

function resolveCluster(raw: RawTopology, overrides: TopologyOverrides, issues: Issues): ClusterPlan {
  const c = { ...CLUSTER_DEFAULTS, ...(raw.cluster ?? {}) };
  const fieldOf = (k: keyof TopologyOverrides, clusterKey: string): string =>
    overrides[k] !== undefined ? `--${k}` : `cluster.${clusterKey}`;
  const proxy = overrides.proxy ?? c.proxy;
  const cni = overrides.cni ?? c.cni;
  const backend = overrides.iptablesBackend ?? c.iptablesBackend;
  enumCheck(proxy, PROXY_MODES, fieldOf('proxy', 'proxy'), issues);
  enumCheck(cni, CNI_MODES, fieldOf('cni', 'cni'), issues);
  enumCheck(backend, IPTABLES_BACKENDS, fieldOf('iptablesBackend', 'iptablesBackend'), issues);
  enumCheck(c.ipvsScheduler, IPVS_SCHEDULERS, 'cluster.ipvsScheduler', issues);
  // Asked for here, decided at lab up (src/topology/dns-server.ts); absent means auto.
  const dnsServer = overrides.dnsServer ?? raw.cluster?.dnsServer;
  if (dnsServer !== undefined)
    enumCheck(
      String(dnsServer),
      DNS_SERVERS,
      overrides.dnsServer !== undefined ? '--dns-server' : 'cluster.dnsServer',
      issues,
    );

  const podNet = cidrField(c.podCIDR, 'cluster.podCIDR', issues, CLUSTER_DEFAULTS.podCIDR);
  const serviceNet = cidrField(c.serviceCIDR, 'cluster.serviceCIDR', issues, CLUSTER_DEFAULTS.serviceCIDR);
  if (!Number.isInteger(c.nodePodPrefix) || c.nodePodPrefix < 1 || c.nodePodPrefix > 30)
    issues.add(
      'cluster.nodePodPrefix',
      `${c.nodePodPrefix} is not a usable block size`,
      'use a prefix length between the podCIDR prefix + 1 and 30 (e.g. 24)',
    );
  else if (podNet && c.nodePodPrefix <= podNet.prefix)
    issues.add(
      'cluster.nodePodPrefix',
      `/${c.nodePodPrefix} is not longer than the podCIDR prefix /${podNet.prefix}, so ${c.podCIDR} cannot be split into per-node blocks`,
      `use a nodePodPrefix greater than ${podNet.prefix} (e.g. ${Math.min(Math.max(podNet.prefix + 8, podNet.prefix + 1), 30)}), or a larger podCIDR`,
    );
  if (serviceNet && serviceNet.prefix < 12)
    issues.add(
      'cluster.serviceCIDR',
      `${c.serviceCIDR} is too large (Kubernetes allows at most a /12 for IPv4 Services)`,
      'use a prefix of /12 or longer, e.g. 10.96.0.0/16',
    );
  if (serviceNet && serviceNet.prefix > 28)
    issues.add(
      'cluster.serviceCIDR',
      `${c.serviceCIDR} is too small for the kubernetes and DNS Services plus yours`,
      'use a prefix of /28 or shorter, e.g. 10.96.0.0/16',
    );
  if (podNet && serviceNet && overlaps(podNet, serviceNet))
    issues.add(
      'cluster.serviceCIDR',
      `${c.serviceCIDR} overlaps cluster.podCIDR ${c.podCIDR}`,
      'pod and Service ranges must be disjoint: e.g. podCIDR 10.244.0.0/16, serviceCIDR 10.96.0.0/16',
    );

  const dns = parseIp(c.dnsIP);
  if (dns === undefined)
    issues.add(
      'cluster.dnsIP',
      `"${c.dnsIP}" is not an IPv4 address`,
      `use an address inside the serviceCIDR, e.g. ${CLUSTER_DEFAULTS.dnsIP}`,
    );
  else if (serviceNet && !isHostOf(serviceNet, dns))
    issues.add(
      'cluster.dnsIP',
      `${c.dnsIP} is outside cluster.serviceCIDR ${c.serviceCIDR}`,
      `pick a host address inside ${c.serviceCIDR}, e.g. ${formatIp(serviceNet.network + 10)}`,
    );
  else if (serviceNet && dns === serviceNet.network + 1)
    issues.add(
      'cluster.dnsIP',
      `${c.dnsIP} is the kubernetes Service's address (first address of the serviceCIDR)`,
      `use another address, e.g. ${formatIp(serviceNet.network + 10)}`,
    );

  const domainProblem = dns1123SubdomainProblem(String(c.domain));
  if (domainProblem)
    issues.add(
      'cluster.domain',
      `${domainProblem}; the cluster domain must be a DNS domain`,
      'use a domain such as cluster.local (no trailing dot)',
    );

  if (!Number.isInteger(c.mtu) || c.mtu < MTU_MIN || c.mtu > MTU_MAX)
    issues.add('cluster.mtu', `${c.mtu} is not a usable MTU`, `use ${MTU_MIN}..${MTU_MAX} (1500 for Ethernet)`);

  let nodePortRange: [number, number] | undefined;
  const m = /^([0-9]+)-([0-9]+)$/.exec(String(c.nodePortRange));
  if (!m)
    issues.add(
      'cluster.nodePortRange',
      `"${c.nodePortRange}" is not a port range`,
      'write it as first-last, e.g. 30000-32767',
    );
  else {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (a < 1 || b > 65535 || a > b)
      issues.add(
        'cluster.nodePortRange',
        `"${c.nodePortRange}" is not a valid range`,
        'use first-last with 1 <= first <= last <= 65535, e.g. 30000-32767',
      );
    else nodePortRange = [a, b];
  }

  return {
    settings: {
      podCIDR: c.podCIDR,
      nodePodPrefix: c.nodePodPrefix,
      serviceCIDR: c.serviceCIDR,
      domain: c.domain,
      dnsIP: c.dnsIP,
      dns: c.dns !== false,
      ...(dnsServer !== undefined ? { dnsServer: dnsServer as DnsServerSetting } : {}),
      proxy: proxy as ProxyMode,
      iptablesBackend: backend as IptablesBackend,
      ipvsScheduler: c.ipvsScheduler,
      cni: cni as CniMode,
      mtu: c.mtu,
      nodePortRange: nodePortRange ?? [30000, 32767],
    },
    podNet,
    serviceNet,
    nodePortRange,
  };
}

interface SubnetPlan {
  subnet: Subnet;
  net?: Cidr;
  gateway?: number;
}

function resolveSubnets(raw: RawTopology, cluster: ClusterPlan, issues: Issues): SubnetPlan[] {
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

function resolveNodes(
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

/**
 * vpc-native: pods take addresses of their node's subnet. Each node's podCIDR becomes its block of
 * the subnet, the pods' gateway is the block's first address (the ptp CNI plugin puts host-local's
 * gateway on every host veth; the AWS VPC CNI's own plugin uses 169.254.1.1, which ptp cannot:
 * it installs the IPAM routes before the gateway's link route), and the cluster CIDR kube-proxy uses
 * to tell pod traffic apart is the VPC range (the covering CIDR of the subnets), as on EKS.
 */
function applyVpcNative(
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

/** Phase two: raw topology -> resolved LabModel. Throws InputErrors listing every problem. */
export function resolveTopology(raw: RawTopology, opts: ResolveOptions = {}): LabModel {
  const issues = new Issues();
  // Callers may hand us a raw object that never went through load(): check its shape first.
  const check = checkTopology(raw);
  if (check.hard) throw new InputErrors(check.errors);
  issues.push(...check.errors, ...(opts.objectErrors ?? []));
  const overrides = opts.overrides ?? {};
  const baseDir = opts.baseDir ?? (opts.source ? resolvePath(opts.source, '..') : process.cwd());
  let objects = opts.objects;
  if (!objects) {
    objects = (raw.objects ?? []).map((object, i) => ({ object, path: `objects[${i}]` }));
    const policy = newPolicy(overrides.allowOutside ? undefined : baseDir);
    (raw.manifests ?? []).forEach((m, i) => {
      objects!.push(
        ...readManifest(isAbsolute(m) ? m : resolvePath(baseDir, m), m, `manifests[${i}]`, issues.list, policy),
      );
    });
  }
  const schemaCount = issues.count;

  const name = overrides.name ?? raw.name;
  const nameProblem = dns1123LabelProblem(name);
  if (nameProblem)
    issues.add(overrides.name !== undefined ? '--name' : 'name', nameProblem, 'use a DNS-1123 label, e.g. guide');
  const prefix = raw.prefix ?? DEFAULT_PREFIX;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(prefix))
    issues.add(
      'prefix',
      `"${prefix}" cannot start a Docker container name`,
      "use letters, digits, '_', '.' and '-', starting with a letter or digit",
    );

  const cluster = resolveCluster(raw, overrides, issues);
  const subnets = resolveSubnets(raw, cluster, issues);
  const nodes = resolveNodes(raw, name, prefix, cluster, subnets, issues);
  // host-gw installs routes via the other nodes' addresses: they must share one L2 subnet.
  if (cluster.settings.cni === 'host-gw') {
    const used = [...new Set(nodes.map((n) => n.subnet).filter((x) => x))];
    if (used.length > 1 && !overrides.force)
      issues.add(
        overrides.cni !== undefined ? '--cni' : 'cluster.cni',
        `host-gw needs every node in one subnet, but the nodes are in ${used.join(', ')}`,
        'put the nodes in one subnet, or use cni vpc-routes or vxlan (or lab up --force to build it anyway and watch the cross-subnet paths fail)',
      );
  }
  if (cluster.settings.cni === 'vpc-native') applyVpcNative(raw, cluster, subnets, nodes, issues);
  const vpc: LabContainer = { name: 'vpc', container: `${prefix}-${name}-vpc`, role: 'vpc' };
  const links: LinkModel[] = nodes.map((n) => ({
    a: { container: n.container, iface: 'eth0' },
    b: { container: vpc.container, iface: n.vpcIface },
    mtu: cluster.settings.mtu,
  }));
  // The cluster DNS add-on, as kubeadm installs it (unless opted out or declared by the topology).
  if (cluster.settings.dns && !declaresClusterDns(objects))
    objects = [...objects, ...clusterDnsObjects(cluster.settings.dnsIP)];
  // CoreDNS chosen at lab up: the DNS Deployment's pods run coredns/coredns as container pods.
  if (overrides.dnsServerChoice === 'coredns') objects = coreDnsObjects(objects, overrides.coreDnsImage);
  const work = resolveWorkloads(
    objects,
    nodes,
    { serviceNet: cluster.serviceNet, dnsIP: cluster.settings.dnsIP, nodePortRange: cluster.nodePortRange },
    issues,
    { vpcNative: cluster.settings.cni === 'vpc-native' },
  );
  // The emulated Internet (edge issue): node public IPs, LoadBalancer IPs from the pool.
  const edge = resolveEdge(
    raw.edge,
    {
      lab: name,
      prefix,
      taken: [
        ...subnets.map((s) => ({ what: `subnet ${s.subnet.name}`, net: s.net })),
        { what: 'cluster.podCIDR', net: cluster.podNet },
        { what: 'cluster.serviceCIDR', net: cluster.serviceNet },
      ],
    },
    issues,
  );
  const edgeNodes = edge ? assignNodePublicIPs(nodes, edge, raw.edge, issues) : nodes;
  const edgeServices = assignLoadBalancerIPs(work.services, edge, objects, issues);
  if (edge) links.push(...edgeLinks(edge, vpc.container, cluster.settings.mtu));
  // Ingresses (src/ingress): every backend a NodePort Service port, no two rules colliding.
  issues.push(
    ...parseIngresses(
      objects.filter((o) => o.object.kind === 'Ingress'),
      edgeServices,
    ).errors,
  );
  const networkPolicies = parseNetworkPolicies(
    objects.filter((o) => o.object.kind === 'NetworkPolicy'),
    work.namespaces,
    issues,
  );
  const nsLabels = namespaceLabels(objects, work.namespaces, issues);
  // The resolver re-checks some values the schema already flagged: keep the schema's report.
  const flagged = new Set(issues.list.slice(0, schemaCount).map((e) => e.field));
  const all = issues.list.filter((e, i) => i < schemaCount || e.field === undefined || !flagged.has(e.field));
  if (all.length) throw new InputErrors(all);

  return {
    version: 1,
    name,
    prefix,
    ...(opts.source !== undefined ? { source: opts.source } : {}),
    cluster: cluster.settings,
    subnets: subnets.map((s) => s.subnet),
    vpc,
    // host-local's cursor per node, so pods created later continue after it (src/net/ipam.ts).
    nodes: edgeNodes.map((n) => (work.lastReserved[n.name] ? { ...n, lastReservedIP: work.lastReserved[n.name] } : n)),
    pods: work.pods,
    deployments: work.deployments,
    services: edgeServices,
    links,
    namespaces: work.namespaces,
    ingresses: work.ingresses,
    ...(edge ? { edge, internetDns: edge.internet.ip } : {}),
    ...(networkPolicies.length ? { networkPolicies } : {}),
    namespaceLabels: nsLabels,
  };
}
