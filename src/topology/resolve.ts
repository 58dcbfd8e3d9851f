/**
 * Phase two of loading a topology: raw -> LabModel. Applies defaults and CLI overrides, checks
 * every address plan (CIDRs, overlaps, node IPs, pod blocks), names containers and interfaces,
 * and hands the Kubernetes objects to the workload resolver (controllers, scheduler, IPAM,
 * Services). Collects every problem and throws them together as InputErrors before anything
 * is created. The cluster settings, subnets and nodes are resolved in cluster.ts, subnets.ts and
 * nodes.ts.
 */
import { isAbsolute, resolve as resolvePath } from 'path';
import { InputError, InputErrors } from '../errors';
import type { LabContainer, LabModel, LinkModel } from '../model/types';
import { DEFAULT_PREFIX } from './defaults';
import { Issues } from './issues';
import { dns1123LabelProblem } from './names';
import type { RawTopology, SourcedObject, TopologyOverrides } from './raw';
import { checkTopology, readManifest } from './validate';
import { newPolicy } from './read-limits';
import { resolveWorkloads } from './workloads';
import { clusterDnsObjects, declaresClusterDns } from './cluster-dns';
import { coreDnsObjects } from './dns-server';
import { assignLoadBalancerIPs, assignNodePublicIPs, edgeLinks, resolveEdge } from './edge';
import { parseIngresses } from '../ingress/parse';
import { namespaceLabels, parseNetworkPolicies } from './netpol';
import { resolveCluster } from './cluster';
import { applyVpcNative, resolveSubnets } from './subnets';
import { resolveNodes } from './nodes';

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
