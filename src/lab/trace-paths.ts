/**
 * What `lab trace PATH` does for each path: who sends the probe, the probe command (carrying a
 * unique marker the trace finds in the pcaps), and the capture points along the way, in order.
 * Pure: model in, plan out. A new path is one entry in TRACE_PATHS.
 */
import { randomBytes } from 'crypto';
import { LabModel, NodeModel, PodModel, ServiceModel } from '../model/types';
import { InputError } from '../errors';
import { podTargetId } from '../trace/capture-plan';
import { curlArgv } from '../probes/parse';
import { crossNodePairs, publicHttpPort, sameNodePairs, servingPods } from '../probes/select';
import { computeEndpoints, Endpoint } from '../proxy/endpoints';
import type { FlowSeed } from '../trace/flow';

export interface TraceBranch {
  /** Which way this branch goes (`backend web-xyz on node2`). */
  label: string;
  points: string[];
}

export interface TracePlan {
  path: string;
  title: string;
  /** Where the probe runs: a target `lab exec` accepts. */
  from: string;
  /** What it reaches, in words (`node2/pod3`, `Service default/web 10.96.0.12:80`). */
  to: string;
  /** The probe, run in `from` (in the pod's namespace for a pod). */
  probe: string[];
  /** Unique bytes in the probe's payload. */
  marker: string;
  /** Capture points on the request path, in order (common to every branch). */
  points: string[];
  /**
   * Alternative continuations after `points` (e.g. one per Service backend): all are captured,
   * the trace keeps the one the probe took.
   */
  branches?: TraceBranch[];
  /** BPF filter for every capture: IPv4 only keeps ARP and IPv6 chatter out. */
  filter: string;
  /**
   * The probe's first packet as the sender knows it (e.g. a SYN to VIP:80): finds the flow even
   * when the marker never goes out, because the connection was never answered.
   */
  first?: FlowSeed;
}

export interface TracePathDef {
  id: string;
  title: string;
  /** The plan for this lab; throws PathUnavailable when the lab has nothing to trace on this path. */
  plan(model: LabModel, marker: string): TracePlan;
}

/** The lab has no setup for this path (e.g. no NodePort Service). */
export class PathUnavailable extends InputError {
  constructor(path: string, why: string) {
    super(`cannot trace ${path} in this lab: ${why}`, { field: 'path', hint: 'add what the path needs to the topology, or trace another path' });
  }
}

/** `k8s-netlab-trace-<8 hex>`: unique per run, a valid DNS label and URL word. */
export function newMarker(random: () => string = () => randomBytes(4).toString('hex')): string {
  return `k8s-netlab-trace-${random()}`;
}

const FILTER = 'ip';

// ---- points ---------------------------------------------------------------------------------

function nodeOf(model: LabModel, name: string): NodeModel {
  const n = model.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`unknown node ${name}`);
  return n;
}

const podEth0 = (p: PodModel) => `${podTargetId(p)}:eth0`;
const vpcSide = (model: LabModel, n: NodeModel) => `${model.vpc.name}:${n.vpcIface}`;
const overlay = (model: LabModel, n: NodeModel) => (model.cluster.cni === 'vxlan' ? [`${n.name}:flannel.1`] : []);

/** From a node's root namespace out to the VPC: [flannel.1,] eth0, the router's side of the link. */
function nodeOut(model: LabModel, n: NodeModel): string[] {
  return [...overlay(model, n), `${n.name}:eth0`, vpcSide(model, n)];
}

/** From the VPC into a node's root namespace. */
function nodeIn(model: LabModel, n: NodeModel): string[] {
  return [vpcSide(model, n), `${n.name}:eth0`, ...overlay(model, n)];
}

/** Node root namespace to a pod of the same node: cbr0, then the pod's eth0. */
function intoPod(p: PodModel): string[] {
  return [`${p.node}:cbr0`, podEth0(p)];
}

/** Points from a pod (its eth0 and its node's cbr0 already passed) to a pod on `to`'s node. */
function podToPodPoints(model: LabModel, a: PodModel, b: PodModel): string[] {
  if (a.node === b.node) return [podEth0(a), `${a.node}:${a.hostVeth}`, `${a.node}:cbr0`, `${b.node}:${b.hostVeth}`, podEth0(b)];
  const na = nodeOf(model, a.node);
  const nb = nodeOf(model, b.node);
  return [podEth0(a), `${a.node}:cbr0`, ...nodeOut(model, na), ...nodeIn(model, nb), ...intoPod(b)];
}

function dedupe(points: string[]): string[] {
  return [...new Set(points)];
}

const echoUrl = (ip: string, port: number, marker: string, what = 'echo') =>
  what === 'echo' ? `http://${ip}:${port}/echo?msg=${marker}` : `http://${ip}:${port}/${what}?trace=${marker}`;

/** An HTTP GET carrying the marker in its URL, and its SYN as the flow's seed. */
function http(ip: string, port: number, marker: string, what = 'echo'): Pick<TracePlan, 'probe' | 'first' | 'marker'> {
  return { probe: curlArgv(echoUrl(ip, port, marker, what)), first: { proto: 'tcp', dst: ip, dport: port }, marker };
}

// ---- paths ----------------------------------------------------------------------------------

const containerToContainer: TracePathDef = {
  id: 'container-to-container',
  title: 'containers of one pod talk over localhost (the pod namespace\'s lo)',
  plan(model, marker) {
    const pod = model.pods.find((p) => p.containers.length >= 2 && p.containers.some((c) => c.httpPort));
    if (!pod) throw new PathUnavailable(this.id, 'no pod has two containers with an HTTP server');
    // The localhost-only server if there is one: the traffic that must stay inside the pod.
    const c = pod.containers.find((x) => x.httpPort && x.bind === '127.0.0.1') ?? pod.containers.find((x) => x.httpPort)!;
    const t = podTargetId(pod);
    return {
      path: this.id, title: this.title, from: t, to: `${t} 127.0.0.1:${c.httpPort} (${c.name})`,
      ...http('127.0.0.1', c.httpPort!, marker), points: [`${t}:lo`], filter: FILTER,
    };
  },
};

const podToPodSameNode: TracePathDef = {
  id: 'pod-to-pod-same-node',
  title: 'pod to pod on one node: veth, cbr0, veth (switched, TTL unchanged)',
  plan(model, marker) {
    const pair = sameNodePairs(model)[0];
    if (!pair) throw new PathUnavailable(this.id, 'no node runs two pods with an HTTP server');
    const [a, b] = pair;
    return {
      path: this.id, title: this.title, from: podTargetId(a), to: podTargetId(b),
      ...http(b.ip, publicHttpPort(b)!, marker), points: podToPodPoints(model, a, b), filter: FILTER,
    };
  },
};

const podToPodCrossNode: TracePathDef = {
  id: 'pod-to-pod-cross-node',
  title: 'pod to pod across nodes: cbr0, eth0, the VPC router, the other node (routed, no NAT)',
  plan(model, marker) {
    const pair = crossNodePairs(model)[0];
    if (!pair) throw new PathUnavailable(this.id, 'no two nodes run a pod with an HTTP server');
    const [a, b] = pair;
    return {
      path: this.id, title: this.title, from: podTargetId(a), to: podTargetId(b),
      ...http(b.ip, publicHttpPort(b)!, marker), points: podToPodPoints(model, a, b), filter: FILTER,
    };
  },
};

const nodeToPod: TracePathDef = {
  id: 'node-to-pod',
  title: "a node's root namespace to a pod on another node (source: the node's eth0 address, no NAT)",
  plan(model, marker) {
    const serving = servingPods(model);
    const n = model.nodes.find((x) => serving.some((p) => p.node !== x.name)) ?? model.nodes[0];
    const pod = serving.find((p) => p.node !== n?.name) ?? serving[0];
    if (!n || !pod) throw new PathUnavailable(this.id, 'no pod with an HTTP server');
    const points = pod.node === n.name ? [`${n.name}:cbr0`, `${n.name}:${pod.hostVeth}`, podEth0(pod)] : [...nodeOut(model, n), ...nodeIn(model, nodeOf(model, pod.node)), ...intoPod(pod)];
    return {
      path: this.id, title: this.title, from: n.name, to: podTargetId(pod),
      ...http(pod.ip, publicHttpPort(pod)!, marker), points, filter: FILTER,
    };
  },
};

const podIpIdentity: TracePathDef = {
  id: 'pod-ip-identity',
  title: 'the source address a pod sends from arrives unchanged at a server on another node',
  plan(model, marker) {
    const serving = servingPods(model);
    // The same choice as the verify probe: the first pod, a server on another node.
    const pod = model.pods.find((p) => p.containers.length > 0 && serving.some((s) => s.node !== p.node));
    const server = pod && serving.find((s) => s.node !== pod.node);
    if (!pod || !server) throw new PathUnavailable(this.id, 'no pod has a server on another node');
    return {
      path: this.id, title: this.title, from: podTargetId(pod), to: podTargetId(server),
      ...http(server.ip, publicHttpPort(server)!, marker, 'clientip'), points: podToPodPoints(model, pod, server), filter: FILTER,
    };
  },
};

/** A ClusterIP Service with a TCP port and ready endpoints, and the endpoints of that port. */
function pickService(model: LabModel): { svc: ServiceModel; port: number; endpoints: Endpoint[] } | undefined {
  const slices = computeEndpoints(model);
  for (const svc of model.services) {
    if (svc.clusterIP === 'None' || !svc.clusterIP || svc.type === 'ExternalName') continue;
    for (const sp of svc.ports.filter((p) => p.protocol === 'TCP')) {
      const slice = slices.find((s) => s.namespace === svc.namespace && s.service === svc.name && s.port === sp.port && s.protocol === 'TCP');
      const endpoints = (slice?.endpoints ?? []).filter((e) => e.ready);
      if (endpoints.length) return { svc, port: sp.port, endpoints };
    }
  }
  return undefined;
}

/**
 * The client: a serving pod on a node with no endpoint of the Service (so the DNAT sends the
 * packet across the VPC, as in the guide: client on node3), else any pod that is not a backend.
 */
function pickClient(model: LabModel, endpoints: Endpoint[]): PodModel | undefined {
  const isBackend = (p: PodModel) => endpoints.some((e) => e.podName === p.name && e.ip === p.ip);
  const candidates = model.pods.filter((p) => p.containers.length > 0 && !isBackend(p));
  return candidates.find((p) => !endpoints.some((e) => e.node === p.node)) ?? candidates[0];
}

/** Branches from a client pod's node to every endpoint: one of them is where the DNAT sends it. */
function backendBranches(model: LabModel, client: PodModel, endpoints: Endpoint[]): TraceBranch[] {
  const nc = nodeOf(model, client.node);
  return endpoints.map((e) => {
    const pod = model.pods.find((p) => p.name === e.podName && p.ip === e.ip);
    const podPoint = pod ? podEth0(pod) : undefined;
    const points =
      e.node === client.node
        ? [podPoint ?? `${e.node}:cbr0`]
        : [...nodeOut(model, nc), ...nodeIn(model, nodeOf(model, e.node)), `${e.node}:cbr0`, ...(podPoint ? [podPoint] : [])];
    return { label: `backend ${e.podName} (${e.ip}:${e.port}) on ${e.node}`, points };
  });
}

function servicePlan(id: string, title: string, what: 'echo' | 'clientip'): TracePathDef {
  return {
    id,
    title,
    plan(model, marker) {
      const s = pickService(model);
      if (!s) throw new PathUnavailable(id, 'no ClusterIP Service with a TCP port and ready endpoints');
      const client = pickClient(model, s.endpoints);
      if (!client) throw new PathUnavailable(id, 'no pod to send from that is not a backend of the Service');
      return {
        path: id, title, from: podTargetId(client), to: `Service ${s.svc.namespace}/${s.svc.name} ${s.svc.clusterIP}:${s.port}`,
        ...http(s.svc.clusterIP, s.port, marker, what),
        points: [podEth0(client), `${client.node}:cbr0`],
        branches: backendBranches(model, client, s.endpoints),
        filter: FILTER,
      };
    },
  };
}

const podToService = servicePlan(
  'pod-to-service',
  "pod to a Service's ClusterIP: kube-proxy on the client's node DNATs it to one backend pod; the reply is un-DNATed there",
  'echo',
);

const serviceToPod = servicePlan(
  'service-to-pod',
  'through a Service to a backend pod, which sees the client pod\'s own address (DNAT only, no SNAT)',
  'clientip',
);

const nodePort: TracePathDef = {
  id: 'nodeport',
  title: "from outside the cluster (the VPC router) to a node's eth0 address and NodePort",
  plan(model, marker) {
    const slices = computeEndpoints(model);
    for (const svc of model.services) {
      for (const sp of svc.ports.filter((p) => p.nodePort && p.protocol === 'TCP')) {
        const slice = slices.find((x) => x.namespace === svc.namespace && x.service === svc.name && x.port === sp.port && x.protocol === 'TCP');
        const endpoints = (slice?.endpoints ?? []).filter((e) => e.ready);
        if (!endpoints.length) continue;
        // A node without a local endpoint: the request has to be forwarded (and SNATed) to another node.
        const n = model.nodes.find((x) => !endpoints.some((e) => e.node === x.name)) ?? model.nodes[0];
        const branches = endpoints.map((e) => {
          const pod = model.pods.find((p) => p.name === e.podName && p.ip === e.ip);
          const tail = pod ? [podEth0(pod)] : [];
          const points = e.node === n.name ? [`${n.name}:cbr0`, ...tail] : [...nodeIn(model, nodeOf(model, e.node)), `${e.node}:cbr0`, ...tail];
          return { label: `backend ${e.podName} (${e.ip}:${e.port}) on ${e.node}`, points };
        });
        return {
          path: this.id, title: this.title, from: model.vpc.name, to: `${n.name} ${n.ip}:${sp.nodePort} (Service ${svc.namespace}/${svc.name})`,
          ...http(n.ip, sp.nodePort!, marker),
          points: [vpcSide(model, n), `${n.name}:eth0`], branches, filter: FILTER,
        };
      }
    }
    throw new PathUnavailable(this.id, 'no NodePort Service with a TCP port and ready endpoints');
  },
};

/** Every traceable path. IDs match `lab verify`'s (src/probes/registry.ts). */
export const TRACE_PATHS: TracePathDef[] = [containerToContainer, podToPodSameNode, podToPodCrossNode, nodeToPod, podIpIdentity, podToService, serviceToPod, nodePort];

export function tracePathIds(): string[] {
  return TRACE_PATHS.map((p) => p.id);
}

/** The plan for one path; unknown IDs are input errors listing the known ones. */
export function tracePlan(model: LabModel, id: string, marker: string = newMarker()): TracePlan {
  const def = TRACE_PATHS.find((p) => p.id === id);
  if (!def) throw new InputError(`unknown path "${id}"`, { field: 'path', hint: `trace one of: ${tracePathIds().join(', ')}` });
  return def.plan(model, marker);
}

/** Every point a plan captures, each once: the common points, then each branch's. */
export function planPoints(plan: TracePlan): string[] {
  return dedupe([...plan.points, ...(plan.branches ?? []).flatMap((b) => b.points)]);
}

/** The request-path order when the probe took `branch`. */
export function branchOrder(plan: TracePlan, branch?: TraceBranch): string[] {
  return dedupe([...plan.points, ...(branch?.points ?? [])]);
}

/**
 * The branch the probe took, from which points saw the request: the one whose last point saw
 * it, else the one with most sightings (ties: the first). Undefined without branches.
 */
export function chooseBranch(plan: TracePlan, sawRequest: (point: string) => boolean): TraceBranch | undefined {
  const bs = plan.branches ?? [];
  if (!bs.length) return undefined;
  const reached = bs.find((b) => b.points.length > 0 && sawRequest(b.points[b.points.length - 1]));
  if (reached) return reached;
  const score = (b: TraceBranch) => b.points.filter((p) => !plan.points.includes(p) && sawRequest(p)).length;
  return bs.reduce((best, b) => (score(b) > score(best) ? b : best), bs[0]);
}
