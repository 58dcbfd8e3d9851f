/**
 * Kubernetes objects -> pods, deployments, services, namespaces and ingresses of the model.
 * Plays the controllers (Deployment -> pods), the scheduler and the kubelet/CNI (host-local
 * IPAM on each node's block, netns and veth names), all in file order so results are stable.
 */
import type { DeploymentModel, NodeModel, PodContainer, PodModel, ServiceModel } from '../model/types';
import { HostLocalIpam } from '../net/ipam';
import { parseIp } from '../net/ipv4';
import { resolveContainers } from './containers';
import { BUILTIN_NAMESPACES, KIND_API_VERSIONS } from './defaults';
import { Issues, at } from './issues';
import {
  deploymentPodName,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  hostVethName,
  labelKeyProblem,
  labelValueProblem,
  netnsName,
  randomSuffix,
  sha256Hex,
} from './names';
import type { KubeObject, ObjectMeta, RawDeployment, RawPod, RawPodSpec, RawService, SourcedObject } from './raw';
import { Scheduler, checkPlacement } from './scheduler';
import { podDnsProblems } from './dns-validate';
import { ServiceContext, ServiceInput, resolveServices } from './services';

export interface Workloads {
  namespaces: string[];
  pods: PodModel[];
  deployments: DeploymentModel[];
  services: ServiceModel[];
  ingresses: unknown[];
  /** Per node, host-local's cursor after the pods were addressed (NodeModel.lastReservedIP). */
  lastReserved: Record<string, string>;
}

/** Validates a label map; problems go to issues under `path`. */
export function checkLabels(labels: Record<string, string> | undefined, path: string, issues: Issues): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    const kp = labelKeyProblem(k);
    if (kp) issues.add(path, kp, 'use keys like app, tier or example.com/role');
    const vp = labelValueProblem(v);
    if (vp) issues.add(`${path}[${JSON.stringify(k)}]`, vp, 'use a short value of letters, digits, -, _ or .');
  }
}

/** Stable JSON (sorted keys) so the pod-template-hash does not depend on key order. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** The pod-template-hash label value: 10 hex characters of a hash of the template. */
export function podTemplateHash(template: unknown): string {
  return sha256Hex(canonicalJson(template)).slice(0, 10);
}

/** A pod waiting for scheduling and an address. */
interface PodDraft {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  spec: RawPodSpec;
  specPath: string;
  objectPath: string;
  containers: PodContainer[];
  owner?: string;
}

function namespaceOf(meta: ObjectMeta): string {
  return meta.namespace ?? 'default';
}

/** How pod addresses are handed out: `vpc-native` blocks are shares of a VPC subnet, not cbr0 blocks. */
export interface WorkloadOptions {
  vpcNative?: boolean;
}

export function resolveWorkloads(
  objects: SourcedObject[],
  nodes: NodeModel[],
  svcCtx: ServiceContext,
  issues: Issues,
  opts: WorkloadOptions = {},
): Workloads {
  const namespaces = [...BUILTIN_NAMESPACES];
  const declared = new Set<string>();
  // Namespaces first: objects may come before the Namespace that holds them, as with kubectl apply -f dir.
  for (const { object, path } of objects) {
    if (object.kind !== 'Namespace') continue;
    const name = object.metadata.name ?? '';
    const problem = dns1123LabelProblem(name);
    if (problem) issues.add(at(path, 'metadata.name'), problem, 'use a DNS-1123 label, e.g. team-a');
    else if (declared.has(name))
      issues.add(at(path, 'metadata.name'), `namespaces "${name}" already exists`, 'declare each Namespace once');
    else if (!namespaces.includes(name)) namespaces.push(name);
    declared.add(name);
  }

  const checkNamespace = (o: KubeObject, path: string): string => {
    const ns = namespaceOf(o.metadata);
    if (o.kind === 'Namespace') return ns;
    if (!namespaces.includes(ns)) {
      const problem = dns1123LabelProblem(ns);
      if (problem) issues.add(at(path, 'metadata.namespace'), problem, 'use a DNS-1123 label');
      else
        issues.add(
          at(path, 'metadata.namespace'),
          `namespace "${ns}" not found`,
          `add a Namespace object: {apiVersion: v1, kind: Namespace, metadata: {name: ${ns}}} (existing: ${namespaces.join(', ')})`,
        );
    }
    return ns;
  };

  const drafts: PodDraft[] = [];
  const deployments: DeploymentModel[] = [];
  const services: ServiceInput[] = [];
  const ingresses: unknown[] = [];
  const podNames = new Map<string, string>(); // ns/name -> path that took it
  const deployNames = new Set<string>();

  const claimPodName = (ns: string, name: string, field: string): boolean => {
    const key = `${ns}/${name}`;
    const prev = podNames.get(key);
    if (prev !== undefined) {
      issues.add(
        field,
        `pods "${name}" already exists in namespace ${ns} (also defined at ${prev})`,
        'give each pod of a namespace a different name',
      );
      return false;
    }
    podNames.set(key, field);
    return true;
  };

  for (const { object, path } of objects) {
    // The schema checks apiVersion too; this guards callers that hand resolve() unvalidated objects.
    const want = KIND_API_VERSIONS[object.kind];
    if (want !== undefined && object.apiVersion !== want) {
      issues.add(
        at(path, 'apiVersion'),
        `"${String(object.apiVersion)}" is not valid for kind ${object.kind}`,
        `use apiVersion: ${want}`,
      );
      continue;
    }
    switch (object.kind) {
      case 'Namespace':
        break;
      case 'Pod': {
        const pod = object as RawPod;
        const ns = checkNamespace(pod, path);
        const name = pod.metadata.name ?? '';
        const problem = dns1123LabelProblem(name);
        if (problem) {
          issues.add(at(path, 'metadata.name'), problem, 'use a DNS-1123 label, e.g. pod1');
          break;
        }
        checkLabels(pod.metadata.labels, at(path, 'metadata.labels'), issues);
        const specPath = at(path, 'spec');
        const containers = resolveContainers(pod.spec, specPath, issues);
        const placementOk = checkPlacement(pod.spec, specPath, issues);
        checkPodDns(pod.spec, specPath, issues);
        if (claimPodName(ns, name, at(path, 'metadata.name')) && placementOk)
          drafts.push({
            name,
            namespace: ns,
            labels: { ...(pod.metadata.labels ?? {}) },
            spec: pod.spec,
            specPath,
            objectPath: path,
            containers,
          });
        break;
      }
      case 'Deployment': {
        const dep = object as RawDeployment;
        const ns = checkNamespace(dep, path);
        const name = dep.metadata.name ?? '';
        const problem = dns1123LabelProblem(name);
        if (problem) {
          issues.add(at(path, 'metadata.name'), problem, 'use a DNS-1123 label, e.g. web');
          break;
        }
        if (deployNames.has(`${ns}/${name}`)) {
          issues.add(
            at(path, 'metadata.name'),
            `deployments.apps "${name}" already exists in namespace ${ns}`,
            'give each Deployment of a namespace a different name',
          );
          break;
        }
        deployNames.add(`${ns}/${name}`);
        const sel = dep.spec.selector;
        const matchLabels = sel.matchLabels ?? {};
        const templateLabels = dep.spec.template.metadata?.labels ?? {};
        let ok = true;
        if (sel.matchExpressions && sel.matchExpressions.length) {
          issues.add(
            at(path, 'spec.selector.matchExpressions'),
            'set-based selectors are not supported by the lab yet',
            'select pods with spec.selector.matchLabels',
          );
          ok = false;
        }
        if (Object.keys(matchLabels).length === 0) {
          issues.add(
            at(path, 'spec.selector'),
            'Invalid value: empty selector is invalid for deployment',
            'set spec.selector.matchLabels to the template labels, e.g. {app: web}',
          );
          ok = false;
        } else if (!Object.entries(matchLabels).every(([k, v]) => templateLabels[k] === v)) {
          issues.add(
            at(path, 'spec.template.metadata.labels'),
            `Invalid value: ${JSON.stringify(templateLabels)}: \`selector\` does not match template \`labels\``,
            `give the template every label of spec.selector.matchLabels (${JSON.stringify(matchLabels)})`,
          );
          ok = false;
        }
        checkLabels(matchLabels, at(path, 'spec.selector.matchLabels'), issues);
        checkLabels(templateLabels, at(path, 'spec.template.metadata.labels'), issues);
        const specPath = at(path, 'spec.template.spec');
        const containers = resolveContainers(dep.spec.template.spec, specPath, issues);
        if (!checkPlacement(dep.spec.template.spec, specPath, issues)) ok = false;
        checkPodDns(dep.spec.template.spec, specPath, issues);
        const replicas = dep.spec.replicas ?? 1;
        deployments.push({ name, namespace: ns, replicas, selector: { ...matchLabels }, template: dep.spec.template });
        if (!ok) break;
        const hash = podTemplateHash(dep.spec.template);
        const used = new Set<string>();
        for (let i = 0; i < replicas; i++) {
          // The ReplicaSet's generateName: a random suffix, drawn again on a collision (as the apiserver's retry).
          let podName = '';
          do podName = deploymentPodName(name, hash, randomSuffix());
          while (used.has(podName) || podNames.has(`${ns}/${podName}`));
          used.add(podName);
          if (!claimPodName(ns, podName, `${path} (replica ${i})`)) continue;
          drafts.push({
            name: podName,
            namespace: ns,
            labels: { ...templateLabels, 'pod-template-hash': hash },
            spec: dep.spec.template.spec,
            specPath,
            objectPath: path,
            containers,
            owner: name,
          });
        }
        break;
      }
      case 'Service': {
        const svc = object as RawService;
        const ns = checkNamespace(svc, path);
        checkLabels(svc.spec?.selector, at(path, 'spec.selector'), issues);
        services.push({ service: svc, path, namespace: ns });
        break;
      }
      case 'Ingress': {
        checkNamespace(object, path);
        const problem = dns1123LabelProblem(object.metadata.name ?? '');
        if (problem) issues.add(at(path, 'metadata.name'), problem, 'use a DNS-1123 label');
        ingresses.push(object);
        break;
      }
      case 'NetworkPolicy':
        // Parsed with the namespaces known (src/topology/netpol.ts); only the namespace is checked here.
        checkNamespace(object, path);
        break;
      default:
        issues.add(
          at(path, 'kind'),
          `unsupported kind "${(object as { kind: string }).kind}"`,
          `use one of: ${Object.keys(KIND_API_VERSIONS).join(', ')}`,
        );
    }
  }

  const { pods, lastReserved } = placePods(drafts, nodes, issues, opts);
  const resolvedServices = resolveServices(services, svcCtx, issues);
  return { namespaces, pods, deployments, services: resolvedServices, ingresses, lastReserved };
}

function checkPodDns(spec: RawPodSpec, specPath: string, issues: Issues): void {
  for (const f of ['hostname', 'subdomain'] as const) {
    const v = spec[f];
    if (v === undefined) continue;
    const problem = dns1123LabelProblem(v);
    if (problem) issues.add(at(specPath, f), problem, 'use a DNS-1123 label');
  }
  // hostAliases as the apiserver validates them (ValidateHostAliases: a valid IP, DNS-1123 subdomain hostnames).
  const aliases = spec.hostAliases;
  if (Array.isArray(aliases))
    aliases.forEach((a, i) => {
      const x = (a ?? {}) as { ip?: unknown; hostnames?: unknown };
      const f = at(specPath, `hostAliases[${i}]`);
      if (typeof x.ip !== 'string' || parseIp(x.ip) === undefined)
        issues.add(
          `${f}.ip`,
          `Invalid value: ${JSON.stringify(x.ip)}: must be a valid IP address`,
          'use an IPv4 address, e.g. 10.1.2.3',
        );
      (Array.isArray(x.hostnames) ? x.hostnames : []).forEach((h, j) => {
        const problem = dns1123SubdomainProblem(String(h));
        if (problem) issues.add(`${f}.hostnames[${j}]`, problem, 'use a DNS name, e.g. foo.local');
      });
    });
  // dnsPolicy / dnsConfig as the apiserver validates them (src/topology/dns-validate.ts).
  for (const p of podDnsProblems(podDnsOf(spec)))
    issues.add(at(specPath, p.field.replace(/^spec\.?/, '')), p.message, p.hint);
}

/** spec.hostAliases of a raw pod spec, in the model's form (absent when empty). */
export function hostAliasesOf(spec: RawPodSpec): Pick<PodModel, 'hostAliases'> {
  const a = spec.hostAliases;
  if (!Array.isArray(a) || a.length === 0) return {};
  return {
    hostAliases: a.map((x) => ({
      ip: String((x as { ip?: unknown }).ip ?? ''),
      hostnames: (((x as { hostnames?: unknown }).hostnames as unknown[] | undefined) ?? []).map(String),
    })),
  };
}

/** spec.dnsPolicy and spec.dnsConfig of a raw pod spec, in the model's form. */
export function podDnsOf(spec: RawPodSpec): Pick<PodModel, 'dnsPolicy' | 'dnsConfig'> {
  const out: Pick<PodModel, 'dnsPolicy' | 'dnsConfig'> = {};
  if (typeof spec.dnsPolicy === 'string') out.dnsPolicy = spec.dnsPolicy;
  const cfg = spec.dnsConfig as { nameservers?: unknown; searches?: unknown; options?: unknown } | undefined;
  if (cfg && typeof cfg === 'object') {
    const strs = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
    const dc: NonNullable<PodModel['dnsConfig']> = {};
    if (strs(cfg.nameservers)) dc.nameservers = strs(cfg.nameservers);
    if (strs(cfg.searches)) dc.searches = strs(cfg.searches);
    if (Array.isArray(cfg.options))
      dc.options = cfg.options.map((o) => {
        const x = (o ?? {}) as { name?: unknown; value?: unknown };
        return { name: String(x.name ?? ''), ...(x.value !== undefined ? { value: String(x.value) } : {}) };
      });
    out.dnsConfig = dc;
  }
  return out;
}

/** Scheduler + per-node host-local IPAM + netns/veth names. */
function placePods(
  drafts: PodDraft[],
  nodes: NodeModel[],
  issues: Issues,
  opts: WorkloadOptions = {},
): { pods: PodModel[]; lastReserved: Record<string, string> } {
  const scheduler = new Scheduler(nodes);
  const ipam = new Map<string, HostLocalIpam>();
  for (const n of nodes) {
    try {
      ipam.set(n.name, new HostLocalIpam(n.podCIDR, undefined, n.cbr0IP || undefined));
    } catch {
      // Invalid block: already reported by the node checks.
    }
  }
  const exhausted = new Map<string, { first: string; count: number }>();
  const veths = new Map<string, Set<string>>();
  const pods: PodModel[] = [];
  const schedReported = new Set<string>();
  for (const d of drafts) {
    const placed = scheduler.place(d.spec, d.specPath);
    if ('error' in placed) {
      // One report per object: every replica of a Deployment fails the same way.
      if (schedReported.has(d.objectPath)) continue;
      schedReported.add(d.objectPath);
      issues.add(placed.error.field, `pod ${d.namespace}/${d.name}: ${placed.error.message}`, placed.error.hint);
      continue;
    }
    const node = placed.node;
    const pool = ipam.get(node);
    if (!pool) continue;
    const ip = pool.allocate();
    if (ip === undefined) {
      const e = exhausted.get(node);
      if (e) e.count++;
      else exhausted.set(node, { first: `${d.objectPath} (pod ${d.namespace}/${d.name})`, count: 1 });
      continue;
    }
    const used = veths.get(node) ?? new Set<string>();
    veths.set(node, used);
    let hostVeth = hostVethName(d.namespace, d.name);
    for (let salt = 1; used.has(hostVeth); salt++) hostVeth = hostVethName(d.namespace, d.name, salt);
    used.add(hostVeth);
    pods.push({
      name: d.name,
      namespace: d.namespace,
      node,
      ip,
      labels: d.labels,
      netns: netnsName(d.namespace, d.name),
      hostVeth,
      containers: d.containers.map((c) => ({ ...c, ports: c.ports.map((p) => ({ ...p })) })),
      ...(d.owner ? { owner: d.owner } : {}),
      ...(d.spec.hostname ? { hostname: d.spec.hostname } : {}),
      ...(d.spec.subdomain ? { subdomain: d.spec.subdomain } : {}),
      ...hostAliasesOf(d.spec),
      ...podDnsOf(d.spec),
    });
  }
  for (const [node, e] of exhausted) {
    const pool = ipam.get(node)!;
    const n = nodes.find((x) => x.name === node)!;
    if (opts.vpcNative) {
      issues.add(
        e.first,
        `node ${node}: vpc-native gives it ${n.podCIDR} of subnet ${n.subnet} for its pods, ${pool.capacity} ` +
          `pod addresses, but ${pool.capacity + e.count} pods are placed there`,
        `use a larger subnet for ${n.subnet} (each node gets an equal share of it), spread the pods over more nodes, or use another cni mode`,
      );
      continue;
    }
    issues.add(
      e.first,
      `node ${node}: its pod block ${n.podCIDR} holds ${pool.capacity} pod addresses (cbr0 takes ` +
        `${pool.gateway}) but ${pool.capacity + e.count} pods are placed there`,
      'spread the pods over more nodes (nodeName/nodeSelector), or give nodes larger blocks (a shorter cluster.nodePodPrefix or nodes[].podCIDR)',
    );
  }
  const lastReserved: Record<string, string> = {};
  for (const [node, pool] of ipam) if (pool.lastReserved) lastReserved[node] = pool.lastReserved;
  return { pods, lastReserved };
}
