/**
 * Changes to a running lab's workloads, as the Kubernetes controllers make them: the
 * Deployment/ReplicaSet controller (scale, replace a deleted pod), the scheduler and the
 * CNI's host-local IPAM for new pods, and `kubectl apply` of a whole topology. Pure: each
 * operation takes a model and returns the next one plus the pods to start and to delete;
 * src/lab/reconcile.ts makes it so on the nodes.
 */
import type { DeploymentModel, LabModel, PodModel } from '../model/types';
import { InputError } from '../errors';
import { HostLocalIpam } from '../net/ipam';
import { resolveContainers } from '../topology/containers';
import { Issues } from '../topology/issues';
import { deploymentPodName, hostVethName, netnsName, safeSuffix } from '../topology/names';
import type { ObjectMeta, RawPodSpec } from '../topology/raw';
import { Scheduler } from '../topology/scheduler';
import { podDnsOf, podTemplateHash } from '../topology/workloads';
import { diffModels } from './diff';

export interface WorkloadChange {
  model: LabModel;
  added: PodModel[];
  removed: PodModel[];
}

export interface ApplyChange extends WorkloadChange {
  /** `ns/name` of every Service that was added, removed or changed. */
  changedServices: string[];
}

type Template = { metadata?: ObjectMeta; spec: RawPodSpec };

const key = (ns: string, name: string) => `${ns}/${name}`;

function findDeployment(model: LabModel, name: string, namespace: string): DeploymentModel {
  const d = model.deployments.find((x) => x.name === name && x.namespace === namespace);
  if (d) return d;
  const all = model.deployments.map((x) => key(x.namespace, x.name));
  throw new InputError(`deployments.apps "${name}" not found in namespace ${namespace}`, {
    field: 'deployment',
    hint: all.length ? `use one of: ${all.join(', ')} (-n NAMESPACE for another namespace)` : 'this lab has no Deployments: add one to the topology and run lab apply',
  });
}

/** The name the loader (src/topology/workloads.ts) gives replica `i` of a Deployment, before collisions with `taken`. */
function replicaName(d: DeploymentModel, hash: string, i: number, taken: (name: string) => boolean): string {
  for (let salt = 0; ; salt++) {
    const n = deploymentPodName(d.name, hash, safeSuffix(`${d.namespace}/${d.name}/${hash}/${i}${salt ? `#${salt}` : ''}`));
    if (!taken(n)) return n;
  }
}

/**
 * Names for `count` new replicas: the lowest replica indexes whose names are free. With
 * `after` (a pod just deleted) only indexes past that pod's are used, so its replacement gets
 * a name no pod had recently, as a ReplicaSet's random suffix would.
 */
function newReplicaNames(model: LabModel, d: DeploymentModel, count: number, after?: string): string[] {
  const hash = podTemplateHash(d.template);
  const inNs = new Set(model.pods.filter((p) => p.namespace === d.namespace).map((p) => p.name));
  const owned = new Set(model.pods.filter((p) => p.namespace === d.namespace && p.owner === d.name).map((p) => p.name));
  const search = (start: string | undefined): string[] => {
    const used = new Set<string>();
    const out: string[] = [];
    let seen = start === undefined;
    for (let i = 0; out.length < count; i++) {
      // The deleted pod's index is not found among the first ones: it came from another naming.
      if (!seen && i > owned.size + 1000) return search(undefined);
      // As the loader: a name held by another object in the namespace is rehashed; one of our own replicas is that replica.
      const name = replicaName(d, hash, i, (n) => used.has(n) || (inNs.has(n) && !owned.has(n)));
      used.add(name);
      if (!seen) {
        seen = name === start;
        continue;
      }
      if (!owned.has(name) && name !== start) out.push(name);
    }
    return out;
  };
  return search(after);
}

/**
 * New pods of a Deployment, placed and addressed against what already runs: the scheduler
 * counts existing pods per node, IPAM reserves every address in use (and `holdIps`, addresses
 * just freed, so they are not handed out again at once, as host-local's round robin does).
 */
function createReplicas(model: LabModel, d: DeploymentModel, names: string[], holdIps: string[] = []): PodModel[] {
  const template = d.template as Template;
  const spec = template.spec;
  const specPath = `deployments[${key(d.namespace, d.name)}].template.spec`;
  const issues = new Issues();
  const containers = resolveContainers(spec, specPath, issues);
  issues.throwIfAny();

  const scheduler = new Scheduler(model.nodes);
  // Seed the scheduler's per-node load with the running pods (a nodeName placement just counts).
  for (const p of model.pods) scheduler.place({ nodeName: p.node, containers: [] }, 'seed');
  const ipam = new Map(model.nodes.map((n) => [n.name, new HostLocalIpam(n.podCIDR)]));
  for (const ip of [...model.pods.map((p) => p.ip), ...holdIps]) for (const pool of ipam.values()) pool.reserve(ip);
  const veths = new Set(model.pods.map((p) => `${p.node}/${p.hostVeth}`));

  const hash = podTemplateHash(d.template);
  const labels = { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash };
  return names.map((name) => {
    const placed = scheduler.place(spec, specPath);
    if ('error' in placed) throw new InputError(`pod ${d.namespace}/${name}: ${placed.error.message}`, { field: placed.error.field, hint: placed.error.hint });
    const node = placed.node;
    const pool = ipam.get(node)!;
    const ip = pool.allocate();
    if (ip === undefined) {
      const n = model.nodes.find((x) => x.name === node)!;
      throw new InputError(`node ${node}: its pod block ${n.podCIDR} has no free address for pod ${d.namespace}/${name}`, {
        field: 'replicas',
        hint: 'scale to fewer replicas, or delete pods on that node',
      });
    }
    let hostVeth = hostVethName(d.namespace, name);
    for (let salt = 1; veths.has(`${node}/${hostVeth}`); salt++) hostVeth = hostVethName(d.namespace, name, salt);
    veths.add(`${node}/${hostVeth}`);
    return {
      name,
      namespace: d.namespace,
      node,
      ip,
      labels: { ...labels },
      netns: netnsName(d.namespace, name),
      hostVeth,
      containers: containers.map((c) => ({ ...c, ports: c.ports.map((p) => ({ ...p })) })),
      owner: d.name,
      ...(spec.hostname ? { hostname: spec.hostname } : {}),
      ...(spec.subdomain ? { subdomain: spec.subdomain } : {}),
      ...podDnsOf(spec),
    } satisfies PodModel;
  });
}

/** Pods owned by the Deployment, oldest first (model.pods keeps creation order). */
function replicasOf(model: LabModel, d: DeploymentModel): PodModel[] {
  return model.pods.filter((p) => p.namespace === d.namespace && p.owner === d.name);
}

export function scaleDeployment(model: LabModel, name: string, namespace: string, replicas: number): WorkloadChange {
  if (!Number.isInteger(replicas) || replicas < 0)
    throw new InputError(`must be a whole number of 0 or more, got ${replicas}`, { field: '--replicas', hint: 'e.g. --replicas 3' });
  const d = findDeployment(model, name, namespace);
  const current = replicasOf(model, d);
  const deployments = model.deployments.map((x) => (x === d ? { ...x, replicas } : x));
  if (replicas >= current.length) {
    const added = createReplicas(model, d, newReplicaNames(model, d, replicas - current.length));
    return { model: { ...model, deployments, pods: [...model.pods, ...added] }, added, removed: [] };
  }
  // The newest pods go first, as a ReplicaSet scaling down prefers the most recently created.
  const removed = current.slice(replicas);
  const gone = new Set(removed);
  return { model: { ...model, deployments, pods: model.pods.filter((p) => !gone.has(p)) }, added: [], removed };
}

export function deletePod(model: LabModel, name: string, namespace: string): WorkloadChange {
  const pod = model.pods.find((p) => p.name === name && p.namespace === namespace);
  if (!pod) {
    throw new InputError(`pods "${name}" not found in namespace ${namespace}`, {
      field: 'pod',
      hint: `use one of: ${model.pods.map((p) => key(p.namespace, p.name)).join(', ')} (-n NAMESPACE for another namespace)`,
    });
  }
  const rest: LabModel = { ...model, pods: model.pods.filter((p) => p !== pod) };
  const d = pod.owner ? model.deployments.find((x) => x.name === pod.owner && x.namespace === pod.namespace) : undefined;
  if (!d) return { model: rest, added: [], removed: [pod] };
  // The ReplicaSet sees one replica missing and creates a pod with a new name.
  const added = createReplicas(rest, d, newReplicaNames(rest, d, 1, pod.name), [pod.ip]);
  return { model: { ...rest, pods: [...rest.pods, ...added] }, added, removed: [pod] };
}

/** What a pod is for the running lab: changing any of it means deleting and recreating the pod. */
function podIdentity(p: PodModel): string {
  const labels = Object.keys(p.labels)
    .sort()
    .map((k) => [k, p.labels[k]]);
  return JSON.stringify([p.node, p.ip, p.containers, labels, p.hostname ?? '', p.subdomain ?? '', p.dnsPolicy ?? '', p.dnsConfig ?? null]);
}

/**
 * The running lab brought to a new topology, as `kubectl apply` of every object would: nodes
 * and cluster settings cannot change (they are containers and links), pods are created,
 * deleted or recreated, Services and Deployments are replaced.
 */
export function applyTopology(running: LabModel, wanted: LabModel): ApplyChange {
  const fixed = diffModels(running, wanted).filter((l) => l.startsWith('cluster.') || l.startsWith('node '));
  if (running.subnets.map((s) => `${s.name} ${s.cidr}`).join() !== wanted.subnets.map((s) => `${s.name} ${s.cidr}`).join())
    fixed.push(`vpc.subnets: running ${running.subnets.map((s) => s.cidr).join(', ')}, file ${wanted.subnets.map((s) => s.cidr).join(', ')}`);
  // The edge (gateway, Internet host, load balancer) is containers and links too.
  if (JSON.stringify(running.edge ?? null) !== JSON.stringify(wanted.edge ?? null))
    fixed.push(running.edge ? (wanted.edge ? 'edge: the file\'s edge section differs from the running one' : 'edge: running, not in the file') : 'edge: in the file, not running');
  if (fixed.length) {
    const file = wanted.source ?? 'FILE';
    throw new InputError(`nodes and cluster settings of a running lab cannot change; the file differs:\n${fixed.map((d) => `  - ${d}`).join('\n')}`, {
      field: 'topology',
      hint: `recreate the lab: lab down --name ${running.name} && lab up -t ${file} --name ${running.name}`,
    });
  }
  const was = new Map(running.pods.map((p) => [key(p.namespace, p.name), p]));
  const now = new Map(wanted.pods.map((p) => [key(p.namespace, p.name), p]));
  const removed: PodModel[] = [];
  const added: PodModel[] = [];
  for (const [k, p] of was) {
    const w = now.get(k);
    if (!w || podIdentity(w) !== podIdentity(p)) removed.push(p);
  }
  const kept = running.pods.filter((p) => !removed.includes(p));
  // Host-side veth names must stay unique per node beside the pods that keep running.
  const veths = new Set(kept.map((p) => `${p.node}/${p.hostVeth}`));
  for (const w of wanted.pods) {
    const r = was.get(key(w.namespace, w.name));
    if (r && !removed.includes(r)) continue;
    let hostVeth = w.hostVeth;
    for (let salt = 1; veths.has(`${w.node}/${hostVeth}`); salt++) hostVeth = hostVethName(w.namespace, w.name, salt);
    veths.add(`${w.node}/${hostVeth}`);
    added.push({ ...w, hostVeth });
  }
  // Pods that keep running keep their place; new ones come last (model.pods is creation order).
  const pods = [...kept, ...added];
  const svcs = (m: LabModel) => new Map(m.services.map((s) => [key(s.namespace, s.name), JSON.stringify(s)]));
  const a = svcs(running);
  const b = svcs(wanted);
  const changedServices = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
  const nodes = running.nodes.map((n) => ({ ...n, labels: { ...(wanted.nodes.find((x) => x.name === n.name)?.labels ?? n.labels) } }));
  const model: LabModel = {
    ...wanted,
    name: running.name,
    prefix: running.prefix,
    vpc: running.vpc,
    nodes,
    links: running.links,
    pods,
    ...(running.image ? { image: running.image } : {}),
    ...(running.dnsServer ? { dnsServer: running.dnsServer } : {}),
  };
  return { model, added, removed, changedServices };
}
