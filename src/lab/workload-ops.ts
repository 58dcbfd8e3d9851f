/**
 * Changes to a running lab's workloads, as the Kubernetes controllers make them: the
 * Deployment/ReplicaSet controller (scale, replace a deleted pod), the scheduler and the
 * CNI's host-local IPAM for new pods, and `kubectl apply` of a whole topology. Pure: each
 * operation takes a model and returns the next one plus the pods to start and to delete;
 * src/lab/reconcile.ts makes it so on the nodes.
 */
import type { DeploymentModel, LabModel, NodeModel, PodModel } from '../model/types';
import { InputError } from '../errors';
import { HostLocalIpam } from '../net/ipam';
import { resolveContainers } from '../topology/containers';
import { Issues } from '../topology/issues';
import { deploymentPodName, hostVethName, netnsName, randomSuffix } from '../topology/names';
import type { ObjectMeta, RawPodSpec } from '../topology/raw';
import { Scheduler } from '../topology/scheduler';
import { hostAliasesOf, podDnsOf, podTemplateHash } from '../topology/workloads';
import { diffModels } from '../topology/diff';

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
    hint: all.length
      ? `use one of: ${all.join(', ')} (-n NAMESPACE for another namespace)`
      : 'this lab has no Deployments: add one to the topology and run lab apply',
  });
}

/**
 * Names for `count` new replicas, as the ReplicaSet controller gets them from the apiserver:
 * `<deployment>-<pod-template-hash>-` plus a random five-character suffix, drawn again while it
 * collides with a pod of the namespace. So a Deployment scaled down and up gets new names.
 */
function newReplicaNames(model: LabModel, d: DeploymentModel, count: number): string[] {
  const hash = podTemplateHash(d.template);
  const taken = new Set(model.pods.filter((p) => p.namespace === d.namespace).map((p) => p.name));
  const out: string[] = [];
  while (out.length < count) {
    const name = deploymentPodName(d.name, hash, randomSuffix());
    if (taken.has(name)) continue;
    taken.add(name);
    out.push(name);
  }
  return out;
}

/**
 * Places new pods against what already runs: the scheduler counts existing pods per node, and
 * each node's host-local IPAM knows the addresses in use and continues after its cursor
 * (NodeModel.lastReservedIP), so a freed address is not handed out again at once.
 */
class Placer {
  private readonly scheduler: Scheduler;
  private readonly ipam: Map<string, HostLocalIpam>;
  private readonly veths: Set<string>;

  constructor(
    private readonly model: LabModel,
    unschedulable: ReadonlySet<string> = new Set(),
  ) {
    // Nodes with a NoSchedule taint (node.kubernetes.io/not-ready) get no new pod.
    this.scheduler = new Scheduler(model.nodes.filter((n) => !unschedulable.has(n.name)));
    // Seed the scheduler's per-node load with the running pods (a nodeName placement just counts).
    for (const p of model.pods) this.scheduler.place({ nodeName: p.node, containers: [] }, 'seed');
    this.ipam = new Map(
      model.nodes.map((n) => [
        n.name,
        new HostLocalIpam(n.podCIDR, lastReservedOf(model, n.name), n.cbr0IP || undefined),
      ]),
    );
    for (const p of model.pods) this.ipam.get(p.node)?.reserve(p.ip);
    this.veths = new Set(model.pods.map((p) => `${p.node}/${p.hostVeth}`));
  }

  /** A node (from the scheduler, or `node` when already decided), an address and a host veth name. */
  place(
    namespace: string,
    name: string,
    spec: RawPodSpec,
    specPath: string,
    node?: string,
  ): { node: string; ip: string; hostVeth: string } {
    if (node === undefined) {
      const placed = this.scheduler.place(spec, specPath);
      if ('error' in placed)
        throw new InputError(`pod ${namespace}/${name}: ${placed.error.message}`, {
          field: placed.error.field,
          hint: placed.error.hint,
        });
      node = placed.node;
    } else {
      this.scheduler.place({ nodeName: node, containers: [] }, 'seed');
    }
    const ip = this.ipam.get(node)?.allocate();
    if (ip === undefined) {
      const n = this.model.nodes.find((x) => x.name === node);
      throw new InputError(
        `node ${node}: its pod block ${n?.podCIDR ?? '?'} has no free address for pod ${namespace}/${name}`,
        {
          field: 'replicas',
          hint: 'scale to fewer replicas, or delete pods on that node',
        },
      );
    }
    let hostVeth = hostVethName(namespace, name);
    for (let salt = 1; this.veths.has(`${node}/${hostVeth}`); salt++) hostVeth = hostVethName(namespace, name, salt);
    this.veths.add(`${node}/${hostVeth}`);
    return { node, ip, hostVeth };
  }

  /** The nodes with their cursors moved past the addresses handed out. */
  nodes(): NodeModel[] {
    return this.model.nodes.map((n) => {
      const last = this.ipam.get(n.name)?.lastReserved;
      return last ? { ...n, lastReservedIP: last } : n;
    });
  }
}

/** A node's host-local cursor; models stored before it was kept: the newest pod's address on the node. */
function lastReservedOf(model: LabModel, node: string): string | undefined {
  const n = model.nodes.find((x) => x.name === node);
  if (n?.lastReservedIP) return n.lastReservedIP;
  return model.pods.filter((p) => p.node === node).at(-1)?.ip;
}

/** New pods of a Deployment, placed and addressed by `placer`. */
function createReplicas(placer: Placer, d: DeploymentModel, names: string[]): PodModel[] {
  const template = d.template as Template;
  const spec = template.spec;
  const specPath = `deployments[${key(d.namespace, d.name)}].template.spec`;
  const issues = new Issues();
  const containers = resolveContainers(spec, specPath, issues);
  issues.throwIfAny();
  const hash = podTemplateHash(d.template);
  const labels = { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash };
  return names.map((name) => {
    const { node, ip, hostVeth } = placer.place(d.namespace, name, spec, specPath);
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
      ...hostAliasesOf(spec),
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
    throw new InputError(`must be a whole number of 0 or more, got ${replicas}`, {
      field: '--replicas',
      hint: 'e.g. --replicas 3',
    });
  const d = findDeployment(model, name, namespace);
  const current = replicasOf(model, d);
  const deployments = model.deployments.map((x) => (x === d ? { ...x, replicas } : x));
  if (replicas >= current.length) {
    const placer = new Placer(model);
    const added = createReplicas(placer, d, newReplicaNames(model, d, replicas - current.length));
    return {
      model: { ...model, deployments, nodes: placer.nodes(), pods: [...model.pods, ...added] },
      added,
      removed: [],
    };
  }
  // The newest pods go first, as a ReplicaSet scaling down prefers the most recently created.
  const removed = current.slice(replicas);
  const gone = new Set(removed);
  return { model: { ...model, deployments, pods: model.pods.filter((p) => !gone.has(p)) }, added: [], removed };
}

export function deletePod(
  model: LabModel,
  name: string,
  namespace: string,
  unschedulable: ReadonlySet<string> = new Set(),
): WorkloadChange {
  const pod = model.pods.find((p) => p.name === name && p.namespace === namespace);
  if (!pod) {
    throw new InputError(`pods "${name}" not found in namespace ${namespace}`, {
      field: 'pod',
      hint: `use one of: ${model.pods.map((p) => key(p.namespace, p.name)).join(', ')} (-n NAMESPACE for another namespace)`,
    });
  }
  const rest: LabModel = { ...model, pods: model.pods.filter((p) => p !== pod) };
  const d = pod.owner
    ? model.deployments.find((x) => x.name === pod.owner && x.namespace === pod.namespace)
    : undefined;
  if (!d) return { model: rest, added: [], removed: [pod] };
  // The ReplicaSet sees one replica missing and creates a pod with a new name; host-local's
  // cursor keeps the freed address from coming straight back.
  const placer = new Placer(rest, unschedulable);
  const added = createReplicas(placer, d, newReplicaNames(model, d, 1));
  return { model: { ...rest, nodes: placer.nodes(), pods: [...rest.pods, ...added] }, added, removed: [pod] };
}

/**
 * What a bare pod is for the running lab: changing any of it means deleting and recreating the
 * pod. Its address is not part of it: that is host-local's to hand out when the pod is created.
 */
function podIdentity(p: PodModel): string {
  const labels = Object.keys(p.labels)
    .sort()
    .map((k) => [k, p.labels[k]]);
  return JSON.stringify([
    p.node,
    p.containers,
    labels,
    p.hostname ?? '',
    p.subdomain ?? '',
    p.hostAliases ?? null,
    p.dnsPolicy ?? '',
    p.dnsConfig ?? null,
  ]);
}

/**
 * The running lab brought to a new topology, as `kubectl apply` of every object would: nodes
 * and cluster settings cannot change (they are containers and links), bare pods are created,
 * deleted or recreated by name, Deployments are reconciled as their controller does (replicas of
 * the current pod template are kept, oldest first; missing ones are created with fresh names;
 * replicas of another template or of a removed Deployment go), Services are replaced. New pods
 * are addressed by host-local against the running pods.
 */
export function applyTopology(running: LabModel, wanted: LabModel): ApplyChange {
  const fixed = diffModels(running, wanted).filter((l) => l.startsWith('cluster.') || l.startsWith('node '));
  if (
    running.subnets.map((s) => `${s.name} ${s.cidr}`).join() !== wanted.subnets.map((s) => `${s.name} ${s.cidr}`).join()
  )
    fixed.push(
      `vpc.subnets: running ${running.subnets.map((s) => s.cidr).join(', ')}, file ${wanted.subnets.map((s) => s.cidr).join(', ')}`,
    );
  // The edge (gateway, Internet host, load balancer) is containers and links too.
  if (JSON.stringify(running.edge ?? null) !== JSON.stringify(wanted.edge ?? null))
    fixed.push(
      running.edge
        ? wanted.edge
          ? "edge: the file's edge section differs from the running one"
          : 'edge: running, not in the file'
        : 'edge: in the file, not running',
    );
  if (fixed.length) {
    const file = wanted.source ?? 'FILE';
    throw new InputError(
      `nodes and cluster settings of a running lab cannot change; the file differs:\n${fixed.map((d) => `  - ${d}`).join('\n')}`,
      {
        field: 'topology',
        hint: `recreate the lab: lab down --name ${running.name} && lab up -t ${file} --name ${running.name}`,
      },
    );
  }
  const removed: PodModel[] = [];
  const kept: PodModel[] = [];
  // Bare pods, by name.
  const wantedBare = new Map(wanted.pods.filter((p) => !p.owner).map((p) => [key(p.namespace, p.name), p]));
  for (const p of running.pods.filter((x) => !x.owner)) {
    const w = wantedBare.get(key(p.namespace, p.name));
    (w && podIdentity(w) === podIdentity(p) ? kept : removed).push(p);
  }
  // Deployment pods, by owner and pod-template-hash.
  const missing: { d: DeploymentModel; count: number }[] = [];
  for (const d of wanted.deployments) {
    const hash = podTemplateHash(d.template);
    const mine = running.pods.filter(
      (p) => p.owner === d.name && p.namespace === d.namespace && p.labels['pod-template-hash'] === hash,
    );
    kept.push(...mine.slice(0, d.replicas));
    if (mine.length < d.replicas) missing.push({ d, count: d.replicas - mine.length });
  }
  for (const p of running.pods.filter((x) => x.owner)) if (!kept.includes(p)) removed.push(p);
  const keptSet = new Set(kept);
  const stay = running.pods.filter((p) => keptSet.has(p));

  const nodes = running.nodes.map((n) => ({
    ...n,
    labels: { ...(wanted.nodes.find((x) => x.name === n.name)?.labels ?? n.labels) },
  }));
  const placer = new Placer({ ...running, nodes, pods: stay });
  const added: PodModel[] = [];
  for (const w of wanted.pods.filter((p) => !p.owner)) {
    const r = running.pods.find((p) => !p.owner && p.namespace === w.namespace && p.name === w.name);
    if (r && keptSet.has(r)) continue;
    // The node the loader's scheduler chose; a fresh address from host-local on it.
    const { ip, hostVeth } = placer.place(w.namespace, w.name, { containers: [] }, 'pod', w.node);
    added.push({ ...w, ip, hostVeth });
  }
  for (const { d, count } of missing)
    added.push(...createReplicas(placer, d, newReplicaNames({ ...running, pods: [...stay, ...added] }, d, count)));
  // Pods that keep running keep their place; new ones come last (model.pods is creation order).
  const pods = [...stay, ...added];
  const svcs = (m: LabModel) => new Map(m.services.map((s) => [key(s.namespace, s.name), JSON.stringify(s)]));
  const a = svcs(running);
  const b = svcs(wanted);
  const changedServices = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
  const model: LabModel = {
    ...wanted,
    name: running.name,
    prefix: running.prefix,
    vpc: running.vpc,
    nodes: placer.nodes(),
    links: running.links,
    pods,
    ...(running.image ? { image: running.image } : {}),
    ...(running.dnsServer ? { dnsServer: running.dnsServer } : {}),
  };
  return { model, added, removed, changedServices };
}
