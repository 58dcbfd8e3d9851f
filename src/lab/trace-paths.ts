/**
 * What `lab trace PATH` does for each path: who sends the probe, the probe command (carrying a
 * unique marker the trace finds in the pcaps), and the capture points along the way, in order.
 * Pure: model in, plan out. A new path is one entry in TRACE_PATHS.
 */
import { randomBytes } from 'crypto';
import { EdgeAttachment, LabModel, NodeModel, PodModel, ServiceModel } from '../model/types';
import { ingressRoutes } from '../ingress/parse';
import { InputError } from '../errors';
import { podTargetId } from '../trace/capture-plan';
import { curlArgv } from '../probes/parse';
import { crossNodePairs, publicHttpPort, sameNodePairs, servingPods } from '../probes/select';
import { computeEndpoints, Endpoint } from '../proxy/endpoints';
import type { FlowSeed } from '../trace/flow-types';
import { podMtu } from '../plan/cni';
import { cellsFrom, expectedCell, matrixPods, worldOf } from '../probes/network-policy';

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
    super(`cannot trace ${path} in this lab: ${why}`, {
      field: 'path',
      hint: 'add what the path needs to the topology, or trace another path',
    });
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

/**
 * Where a pod's traffic meets its node: cbr0, or the pod's own veth in vpc-native mode (no
 * bridge there: each veth is routed).
 */
function podSide(model: LabModel, p: PodModel): string {
  return model.cluster.cni === 'vpc-native' ? `${p.node}:${p.hostVeth}` : `${p.node}:cbr0`;
}

/** Node root namespace to a pod of the same node: cbr0 (or its veth), then the pod's eth0. */
function intoPod(model: LabModel, p: PodModel): string[] {
  return [podSide(model, p), podEth0(p)];
}

/** Every point from pod a's eth0 to pod b's eth0. */
function podToPodPoints(model: LabModel, a: PodModel, b: PodModel): string[] {
  if (a.node === b.node)
    return dedupe([podEth0(a), `${a.node}:${a.hostVeth}`, podSide(model, a), `${b.node}:${b.hostVeth}`, podEth0(b)]);
  const na = nodeOf(model, a.node);
  const nb = nodeOf(model, b.node);
  return [podEth0(a), podSide(model, a), ...nodeOut(model, na), ...nodeIn(model, nb), ...intoPod(model, b)];
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
  title: "containers of one pod talk over localhost (the pod namespace's lo)",
  plan(model, marker) {
    const pod = model.pods.find((p) => p.containers.length >= 2 && p.containers.some((c) => c.httpPort));
    if (!pod) throw new PathUnavailable(this.id, 'no pod has two containers with an HTTP server');
    // The localhost-only server if there is one: the traffic that must stay inside the pod.
    const c =
      pod.containers.find((x) => x.httpPort && x.bind === '127.0.0.1') ?? pod.containers.find((x) => x.httpPort)!;
    const t = podTargetId(pod);
    return {
      path: this.id,
      title: this.title,
      from: t,
      to: `${t} 127.0.0.1:${c.httpPort} (${c.name})`,
      ...http('127.0.0.1', c.httpPort!, marker),
      points: [`${t}:lo`],
      filter: FILTER,
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
      path: this.id,
      title: this.title,
      from: podTargetId(a),
      to: podTargetId(b),
      ...http(b.ip, publicHttpPort(b)!, marker),
      points: podToPodPoints(model, a, b),
      filter: FILTER,
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
      path: this.id,
      title: this.title,
      from: podTargetId(a),
      to: podTargetId(b),
      ...http(b.ip, publicHttpPort(b)!, marker),
      points: podToPodPoints(model, a, b),
      filter: FILTER,
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
    const points =
      pod.node === n.name
        ? dedupe([podSide(model, pod), `${n.name}:${pod.hostVeth}`, podEth0(pod)])
        : [...nodeOut(model, n), ...nodeIn(model, nodeOf(model, pod.node)), ...intoPod(model, pod)];
    return {
      path: this.id,
      title: this.title,
      from: n.name,
      to: podTargetId(pod),
      ...http(pod.ip, publicHttpPort(pod)!, marker),
      points,
      filter: FILTER,
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
      path: this.id,
      title: this.title,
      from: podTargetId(pod),
      to: podTargetId(server),
      ...http(server.ip, publicHttpPort(server)!, marker, 'clientip'),
      points: podToPodPoints(model, pod, server),
      filter: FILTER,
    };
  },
};

const podMtuPath: TracePathDef = {
  id: 'pod-mtu',
  title: 'a do-not-fragment ping that fills the pod MTU exactly crosses to a pod on another node',
  plan(model, marker) {
    const pair = crossNodePairs(model)[0];
    if (!pair) throw new PathUnavailable(this.id, 'no two nodes run a pod');
    const [a, b] = pair;
    // ping -p repeats at most 16 pattern bytes through the payload: a 16-byte marker fits whole.
    const short = `k8s-trace-${marker.slice(-6)}`;
    const size = podMtu(model) - 28;
    return {
      path: this.id,
      title: this.title,
      from: podTargetId(a),
      to: `${podTargetId(b)} (${size + 28}-byte packets, DF)`,
      probe: [
        'ping',
        '-M',
        'do',
        '-c',
        '1',
        '-W',
        '2',
        '-s',
        String(size),
        '-p',
        Buffer.from(short).toString('hex'),
        b.ip,
      ],
      marker: short,
      first: { proto: 'icmp', dst: b.ip },
      points: podToPodPoints(model, a, b),
      filter: FILTER,
    };
  },
};

/** A ClusterIP Service with a TCP port and ready endpoints, and the endpoints of that port. */
function pickService(model: LabModel): { svc: ServiceModel; port: number; endpoints: Endpoint[] } | undefined {
  const slices = computeEndpoints(model);
  for (const svc of model.services) {
    if (svc.clusterIP === 'None' || !svc.clusterIP || svc.type === 'ExternalName') continue;
    for (const sp of svc.ports.filter((p) => p.protocol === 'TCP')) {
      const slice = slices.find(
        (s) => s.namespace === svc.namespace && s.service === svc.name && s.port === sp.port && s.protocol === 'TCP',
      );
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
    const side = pod ? podSide(model, pod) : `${e.node}:cbr0`;
    const points =
      e.node === client.node
        ? [podPoint ?? side]
        : [...nodeOut(model, nc), ...nodeIn(model, nodeOf(model, e.node)), side, ...(podPoint ? [podPoint] : [])];
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
        path: id,
        title,
        from: podTargetId(client),
        to: `Service ${s.svc.namespace}/${s.svc.name} ${s.svc.clusterIP}:${s.port}`,
        ...http(s.svc.clusterIP, s.port, marker, what),
        points: [podEth0(client), podSide(model, client)],
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
  "replies from a backend reach the caller with the VIP as source (conntrack un-DNAT on the client's node)",
  'clientip',
);

const nodePort: TracePathDef = {
  id: 'nodeport',
  title: "from outside the cluster (the VPC router) to a node's eth0 address and NodePort",
  plan(model, marker) {
    const slices = computeEndpoints(model);
    for (const svc of model.services) {
      for (const sp of svc.ports.filter((p) => p.nodePort && p.protocol === 'TCP')) {
        const slice = slices.find(
          (x) => x.namespace === svc.namespace && x.service === svc.name && x.port === sp.port && x.protocol === 'TCP',
        );
        const endpoints = (slice?.endpoints ?? []).filter((e) => e.ready);
        if (!endpoints.length) continue;
        // A node without a local endpoint: the request has to be forwarded (and SNATed) to another node.
        const n = model.nodes.find((x) => !endpoints.some((e) => e.node === x.name)) ?? model.nodes[0];
        const branches = endpoints.map((e) => {
          const pod = model.pods.find((p) => p.name === e.podName && p.ip === e.ip);
          const tail = pod ? [podEth0(pod)] : [];
          const side = pod ? podSide(model, pod) : `${e.node}:cbr0`;
          const points = e.node === n.name ? [side, ...tail] : [...nodeIn(model, nodeOf(model, e.node)), side, ...tail];
          return { label: `backend ${e.podName} (${e.ip}:${e.port}) on ${e.node}`, points };
        });
        return {
          path: this.id,
          title: this.title,
          from: model.vpc.name,
          to: `${n.name} ${n.ip}:${sp.nodePort} (Service ${svc.namespace}/${svc.name})`,
          ...http(n.ip, sp.nodePort!, marker),
          points: [vpcSide(model, n), `${n.name}:eth0`],
          branches,
          filter: FILTER,
        };
      }
    }
    throw new PathUnavailable(this.id, 'no NodePort Service with a TCP port and ready endpoints');
  },
};

const localhostNodePort: TracePathDef = {
  id: 'localhost-nodeport',
  title: "from a node to 127.0.0.1:<nodePort> (iptables mode: route_localnet, DNAT'd in OUTPUT and masqueraded)",
  plan(model, marker) {
    if (model.cluster.proxy !== 'iptables') {
      throw new PathUnavailable(
        this.id,
        `kube-proxy's ${model.cluster.proxy} mode serves no NodePorts on 127.0.0.1 (the connection is refused on lo: nothing to follow)`,
      );
    }
    const slices = computeEndpoints(model);
    for (const svc of model.services) {
      for (const sp of svc.ports.filter((p) => p.nodePort && p.protocol === 'TCP')) {
        const slice = slices.find(
          (x) => x.namespace === svc.namespace && x.service === svc.name && x.port === sp.port && x.protocol === 'TCP',
        );
        const endpoints = (slice?.endpoints ?? []).filter((e) => e.ready);
        if (!endpoints.length) continue;
        const n = model.nodes[0];
        const branches = endpoints.map((e) => {
          const pod = model.pods.find((p) => p.name === e.podName && p.ip === e.ip);
          const tail = pod ? [podEth0(pod)] : [];
          const side = pod ? podSide(model, pod) : `${e.node}:cbr0`;
          const points =
            e.node === n.name
              ? [side, ...tail]
              : [`${n.name}:eth0`, ...nodeIn(model, nodeOf(model, e.node)), side, ...tail];
          return { label: `backend ${e.podName} (${e.ip}:${e.port}) on ${e.node}`, points };
        });
        return {
          path: this.id,
          title: this.title,
          from: n.name,
          to: `127.0.0.1:${sp.nodePort} on ${n.name} (Service ${svc.namespace}/${svc.name})`,
          ...http('127.0.0.1', sp.nodePort!, marker),
          // OUTPUT's DNAT happens before routing: the request never crosses lo, it leaves through
          // cbr0 (a local backend) or eth0 (a remote one), so every point is a branch's.
          points: [],
          branches,
          filter: FILTER,
        };
      }
    }
    throw new PathUnavailable(this.id, 'no NodePort Service with a TCP port and ready endpoints');
  },
};

// ---- edge: the Internet host, gateway, load balancer, ingress ---------------------------------

function edgeOf(model: LabModel, id: string) {
  if (!model.edge) throw new PathUnavailable(id, 'the topology has no edge: section (Internet gateway, load balancer)');
  return model.edge;
}

const attPoint = (a: EdgeAttachment) => `${a.name}:${a.iface}`;
const attVpcSide = (model: LabModel, a: EdgeAttachment) => `${model.vpc.name}:${a.vpcIface}`;

/** From the Internet host through the gateway into the VPC router, then out to an edge container `to`. */
function fromInternet(model: LabModel, id: string, to?: EdgeAttachment): string[] {
  const e = edgeOf(model, id);
  const pts = [
    `${e.internet.name}:${e.internet.iface}`,
    `${e.igw.name}:${e.igw.internetIface}`,
    attPoint(e.igw),
    attVpcSide(model, e.igw),
  ];
  return to ? [...pts, attVpcSide(model, to), attPoint(to)] : pts;
}

/**
 * From the VPC router into every node that may take the request (`entry`), and from there to
 * every endpoint: one branch per (node, endpoint). A node without the endpoint forwards it back
 * out of its eth0 to the endpoint's node (seen as a second sighting at the same points).
 */
function viaNodesToEndpoints(model: LabModel, entry: NodeModel[], endpoints: Endpoint[]): TraceBranch[] {
  const out: TraceBranch[] = [];
  for (const n of entry) {
    for (const e of endpoints) {
      const pod = model.pods.find((p) => p.name === e.podName && p.ip === e.ip);
      const m = nodeOf(model, e.node);
      const side = pod ? podSide(model, pod) : `${m.name}:cbr0`;
      const points = dedupe([
        vpcSide(model, n),
        `${n.name}:eth0`,
        ...(m.name !== n.name ? nodeIn(model, m) : []),
        side,
        ...(pod ? [podEth0(pod)] : []),
      ]);
      out.push({ label: `node ${n.name}, backend ${e.podName} (${e.ip}:${e.port}) on ${e.node}`, points });
    }
  }
  return out;
}

/** Endpoints mode: nginx connects to the pod IP itself, routed by the VPC router to the pod's node. */
function directToEndpoints(model: LabModel, endpoints: Endpoint[]): TraceBranch[] {
  return endpoints.map((e) => {
    const pod = model.pods.find((p) => p.name === e.podName && p.ip === e.ip);
    const m = nodeOf(model, e.node);
    const points = dedupe([...nodeIn(model, m), ...(pod ? intoPod(model, pod) : [`${m.name}:cbr0`])]);
    return { label: `backend ${e.podName} (${e.ip}:${e.port}) on ${e.node}, straight from nginx`, points };
  });
}

function readyEndpoints(model: LabModel, svc: ServiceModel, port: number, protocol: 'TCP' | 'UDP'): Endpoint[] {
  const slice = computeEndpoints(model).find(
    (x) => x.namespace === svc.namespace && x.service === svc.name && x.port === port && x.protocol === protocol,
  );
  return (slice?.endpoints ?? []).filter((e) => e.ready);
}

const podToInternet: TracePathDef = {
  id: 'pod-to-internet',
  title: 'a pod reaches a host on the Internet: masqueraded on its node, NATed again at the Internet gateway',
  plan(model, marker) {
    const e = edgeOf(model, this.id);
    const pod = servingPods(model).find((p) => !p.namespace.startsWith('kube-')) ?? model.pods[0];
    if (!pod) throw new PathUnavailable(this.id, 'no pod to send from');
    const n = nodeOf(model, pod.node);
    const igwSide = attVpcSide(model, e.igw);
    return {
      path: this.id,
      title: this.title,
      from: podTargetId(pod),
      to: `internet ${e.internet.ip}:80`,
      ...http(e.internet.ip, 80, marker, 'trace'),
      points: [
        podEth0(pod),
        podSide(model, pod),
        ...nodeOut(model, n),
        igwSide,
        attPoint(e.igw),
        `${e.igw.name}:${e.igw.internetIface}`,
        `${e.internet.name}:${e.internet.iface}`,
      ],
      filter: FILTER,
    };
  },
};

const loadBalancerToService: TracePathDef = {
  id: 'loadbalancer-to-service',
  title: 'from the Internet to a LoadBalancer IP: the load balancer DNATs to a node NodePort, kube-proxy to a pod',
  plan(model, marker) {
    const e = edgeOf(model, this.id);
    for (const svc of model.services.filter((x) => x.type === 'LoadBalancer' && x.loadBalancerIP)) {
      for (const sp of svc.ports.filter((p) => p.protocol === 'TCP' && p.nodePort)) {
        const endpoints = readyEndpoints(model, svc, sp.port, 'TCP');
        if (!endpoints.length) continue;
        return {
          path: this.id,
          title: this.title,
          from: e.internet.name,
          to: `LoadBalancer ${svc.loadBalancerIP}:${sp.port} (Service ${svc.namespace}/${svc.name})`,
          ...http(svc.loadBalancerIP!, sp.port, marker),
          points: fromInternet(model, this.id, e.lb),
          branches: viaNodesToEndpoints(model, model.nodes, endpoints),
          filter: FILTER,
        };
      }
    }
    throw new PathUnavailable(this.id, 'no LoadBalancer Service with an external IP, a TCP port and ready endpoints');
  },
};

const ingressToService: TracePathDef = {
  id: 'ingress-to-service',
  title:
    'from the Internet through the ingress (an L7 proxy: a second connection) to a node NodePort (or, endpoints mode, straight to the pod)',
  plan(model, marker) {
    const e = edgeOf(model, this.id);
    const routes = ingressRoutes(model);
    for (const h of routes.hosts) {
      for (const rule of h.paths) {
        const svc = model.services.find(
          (x) => x.namespace === rule.backend.namespace && x.name === rule.backend.service,
        );
        const endpoints = svc ? readyEndpoints(model, svc, rule.backend.port, 'TCP') : [];
        if (!endpoints.length) continue;
        const host = h.host === '' ? 'trace.example' : h.host.startsWith('*.') ? `trace${h.host.slice(1)}` : h.host;
        const base = rule.pathType === 'Exact' ? rule.path : rule.path === '/' ? '/echo' : `${rule.path}/echo`;
        const url = `http://${e.ingressIP}${base}?msg=${marker}`;
        const argv = curlArgv(url);
        return {
          path: this.id,
          title: this.title,
          from: e.internet.name,
          to: `ingress ${e.ingressIP} Host ${host} -> ${rule.backend.namespace}/${rule.backend.service}`,
          probe: [...argv.slice(0, -1), '-H', `Host: ${host}`, url],
          marker,
          first: { proto: 'tcp', dst: e.ingressIP, dport: 80 },
          points: fromInternet(model, this.id, e.ingress),
          // nodeport: a second connection to a NodePort on some node; endpoints: to the pod itself
          branches:
            rule.backend.mode === 'endpoints'
              ? directToEndpoints(model, endpoints)
              : viaNodesToEndpoints(model, model.nodes, endpoints),
          filter: FILTER,
        };
      }
    }
    throw new PathUnavailable(this.id, 'no Ingress rule with a Service that has ready endpoints');
  },
};

const outsideToNodePort: TracePathDef = {
  id: 'outside-to-nodeport',
  title: "from the Internet to a node's public IP and NodePort: the gateway maps it to the node, kube-proxy to a pod",
  plan(model, marker) {
    const e = edgeOf(model, this.id);
    for (const svc of model.services) {
      for (const sp of svc.ports.filter((p) => p.nodePort && p.protocol === 'TCP')) {
        const endpoints = readyEndpoints(model, svc, sp.port, 'TCP');
        const publicNodes = model.nodes.filter((n) => n.publicIP);
        if (!endpoints.length || !publicNodes.length) continue;
        // A node without a local endpoint, so the request is forwarded (and SNATed) to another node.
        const n = publicNodes.find((x) => !endpoints.some((ep) => ep.node === x.name)) ?? publicNodes[0];
        return {
          path: this.id,
          title: this.title,
          from: e.internet.name,
          to: `${n.name} public ${n.publicIP}:${sp.nodePort} (Service ${svc.namespace}/${svc.name})`,
          ...http(n.publicIP!, sp.nodePort!, marker),
          points: fromInternet(model, this.id),
          branches: viaNodesToEndpoints(model, [n], endpoints),
          filter: FILTER,
        };
      }
    }
    throw new PathUnavailable(this.id, 'no node with a public IP and a NodePort Service with ready endpoints');
  },
};

const dns: TracePathDef = {
  id: 'dns',
  title: 'a pod asks the cluster DNS (the kube-dns Service VIP, DNATed to a coredns pod) for a name',
  plan(model, marker) {
    const svc = model.services.find((x) => x.clusterIP === model.cluster.dnsIP);
    const port = svc?.ports.find((p) => p.protocol === 'UDP' && p.port === 53);
    const endpoints = svc && port ? readyEndpoints(model, svc, 53, 'UDP') : [];
    if (!svc || !endpoints.length)
      throw new PathUnavailable(
        this.id,
        `no Service at the cluster DNS address ${model.cluster.dnsIP} with ready UDP 53 endpoints`,
      );
    const client = pickClient(model, endpoints);
    if (!client) throw new PathUnavailable(this.id, 'no pod to ask from');
    // The marker is a label of the name asked: it travels in the query and comes back in the answer.
    const name = `${marker}.default.svc.${model.cluster.domain}`;
    return {
      path: this.id,
      title: this.title,
      from: podTargetId(client),
      to: `${model.cluster.dnsIP}:53 (Service ${svc.namespace}/${svc.name})`,
      probe: ['dig', '+tries=1', '+time=2', `@${model.cluster.dnsIP}`, name, 'A'],
      marker,
      first: { proto: 'udp', dst: model.cluster.dnsIP, dport: 53 },
      points: [podEth0(client), podSide(model, client)],
      branches: backendBranches(model, client, endpoints),
      filter: FILTER,
    };
  },
};

/** Every traceable path. IDs match `lab verify`'s (src/probes/registry.ts). */
/**
 * A connection a NetworkPolicy denies (the oracle's first denied TCP cell, across nodes when there
 * is one): frames are captured up to the hop where the policy drops the SYN; the plan names the
 * policies that decide it, as expected by the oracle.
 */
const networkPolicyTrace: TracePathDef = {
  id: 'network-policy',
  title: 'a connection a NetworkPolicy denies: captured up to the node whose policy chain drops it',
  plan(model, marker) {
    if (!model.networkPolicies?.length) throw new PathUnavailable(this.id, 'the lab has no NetworkPolicy objects');
    const world = worldOf(model);
    const pods = matrixPods(model);
    const denied = pods
      .flatMap((a) =>
        cellsFrom(model, pods)
          .filter((c) => c.protocol === 'TCP' && c.to !== a)
          .map((c) => ({ a, c, e: expectedCell(world, a, c) })),
      )
      .filter((x) => x.e.verdict === 'denied')
      .sort((x, y) => Number(x.a.node === x.c.to.node) - Number(y.a.node === y.c.to.node));
    const pick = denied[0];
    if (!pick) throw new PathUnavailable(this.id, 'the policies deny no TCP connection between pods');
    const { a, c, e } = pick;
    return {
      path: this.id,
      title: this.title,
      from: podTargetId(a),
      to: `${podTargetId(c.to)} ${c.port}/TCP (expected denied by ${e.deciding.join(', ')}: ${e.reason})`,
      ...http(c.to.ip, c.port, marker),
      points: podToPodPoints(model, a, c.to),
      filter: FILTER,
    };
  },
};

export const TRACE_PATHS: TracePathDef[] = [
  containerToContainer,
  podToPodSameNode,
  podToPodCrossNode,
  podMtuPath,
  nodeToPod,
  podIpIdentity,
  podToService,
  serviceToPod,
  nodePort,
  localhostNodePort,
  ingressToService,
  dns,
  podToInternet,
  outsideToNodePort,
  loadBalancerToService,
  networkPolicyTrace,
];

export function tracePathIds(): string[] {
  return TRACE_PATHS.map((p) => p.id);
}

/** The plan for one path; unknown IDs are input errors listing the known ones. */
export function tracePlan(model: LabModel, id: string, marker: string = newMarker()): TracePlan {
  const def = TRACE_PATHS.find((p) => p.id === id);
  if (!def)
    throw new InputError(`unknown path "${id}"`, { field: 'path', hint: `trace one of: ${tracePathIds().join(', ')}` });
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
 * The branch the probe took, from which points saw the request: one whose last point saw it,
 * with fewest points missed, then most seen (ties: the first); when none reached its end, the
 * one seen furthest. Undefined without branches.
 */
export function chooseBranch(plan: TracePlan, sawRequest: (point: string) => boolean): TraceBranch | undefined {
  const bs = plan.branches ?? [];
  if (!bs.length) return undefined;
  // Branches may share their last point (one backend behind several entry nodes): among those
  // that reached it, the one with most points seen; likewise among all when none did.
  const reached = bs.filter((b) => b.points.length > 0 && sawRequest(b.points[b.points.length - 1]));
  const pool = reached.length ? reached : bs;
  const own = (b: TraceBranch) => b.points.filter((p) => !plan.points.includes(p));
  // Fewest points the request skipped first (a detour through another node that did not
  // happen), then most points seen.
  const unseen = (b: TraceBranch) => own(b).filter((p) => !sawRequest(p)).length;
  const seen = (b: TraceBranch) => own(b).length - unseen(b);
  const better = (a: TraceBranch, b: TraceBranch) =>
    reached.length ? unseen(a) - unseen(b) || seen(b) - seen(a) : seen(b) - seen(a);
  return pool.reduce((best, b) => (better(b, best) < 0 ? b : best), pool[0]);
}
