/**
 * The hops trace plans are made of, shared by the paths in src/paths/<path>/trace.ts: a node's
 * way out to the VPC and back in, into a pod, pod to pod, the edge (Internet host, gateway, load
 * balancer, ingress), and the Service backends a DNAT may choose. Pure: model in, points out.
 */
import { EdgeAttachment, LabModel, NodeModel, PodModel, ServiceModel } from '../../model/types';
import { podTargetId } from '../../trace/capture-plan';
import { curlArgv } from '../../observe/curl';
import { computeEndpoints, Endpoint } from '../../proxy/endpoints';
import { dedupe, PathUnavailable, TraceBranch, TracePlan } from './trace';

export const FILTER = 'ip';

export function nodeOf(model: LabModel, name: string): NodeModel {
  const n = model.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`unknown node ${name}`);
  return n;
}

export const podEth0 = (p: PodModel) => `${podTargetId(p)}:eth0`;
export const vpcSide = (model: LabModel, n: NodeModel) => `${model.vpc.name}:${n.vpcIface}`;
const overlay = (model: LabModel, n: NodeModel) => (model.cluster.cni === 'vxlan' ? [`${n.name}:flannel.1`] : []);

/** From a node's root namespace out to the VPC: [flannel.1,] eth0, the router's side of the link. */
export function nodeOut(model: LabModel, n: NodeModel): string[] {
  return [...overlay(model, n), `${n.name}:eth0`, vpcSide(model, n)];
}

/** From the VPC into a node's root namespace. */
export function nodeIn(model: LabModel, n: NodeModel): string[] {
  return [vpcSide(model, n), `${n.name}:eth0`, ...overlay(model, n)];
}

/**
 * Where a pod's traffic meets its node: cbr0, or the pod's own veth in vpc-native mode (no
 * bridge there: each veth is routed).
 */
export function podSide(model: LabModel, p: PodModel): string {
  return model.cluster.cni === 'vpc-native' ? `${p.node}:${p.hostVeth}` : `${p.node}:cbr0`;
}

/** Node root namespace to a pod of the same node: cbr0 (or its veth), then the pod's eth0. */
export function intoPod(model: LabModel, p: PodModel): string[] {
  return [podSide(model, p), podEth0(p)];
}

/** Every point from pod a's eth0 to pod b's eth0. */
export function podToPodPoints(model: LabModel, a: PodModel, b: PodModel): string[] {
  if (a.node === b.node)
    return dedupe([podEth0(a), `${a.node}:${a.hostVeth}`, podSide(model, a), `${b.node}:${b.hostVeth}`, podEth0(b)]);
  const na = nodeOf(model, a.node);
  const nb = nodeOf(model, b.node);
  return [podEth0(a), podSide(model, a), ...nodeOut(model, na), ...nodeIn(model, nb), ...intoPod(model, b)];
}

const echoUrl = (ip: string, port: number, marker: string, what = 'echo') =>
  what === 'echo' ? `http://${ip}:${port}/echo?msg=${marker}` : `http://${ip}:${port}/${what}?trace=${marker}`;

/** An HTTP GET carrying the marker in its URL, and its SYN as the flow's seed. */
export function http(
  ip: string,
  port: number,
  marker: string,
  what = 'echo',
): Pick<TracePlan, 'probe' | 'first' | 'marker'> {
  return { probe: curlArgv(echoUrl(ip, port, marker, what)), first: { proto: 'tcp', dst: ip, dport: port }, marker };
}

/** A ClusterIP Service with a TCP port and ready endpoints, and the endpoints of that port. */
export function pickService(model: LabModel): { svc: ServiceModel; port: number; endpoints: Endpoint[] } | undefined {
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
export function pickClient(model: LabModel, endpoints: Endpoint[]): PodModel | undefined {
  const isBackend = (p: PodModel) => endpoints.some((e) => e.podName === p.name && e.ip === p.ip);
  const candidates = model.pods.filter((p) => p.containers.length > 0 && !isBackend(p));
  return candidates.find((p) => !endpoints.some((e) => e.node === p.node)) ?? candidates[0];
}

/** Branches from a client pod's node to every endpoint: one of them is where the DNAT sends it. */
export function backendBranches(model: LabModel, client: PodModel, endpoints: Endpoint[]): TraceBranch[] {
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

// ---- edge: the Internet host, gateway, load balancer, ingress ---------------------------------

export function edgeOf(model: LabModel, id: string) {
  if (!model.edge) throw new PathUnavailable(id, 'the topology has no edge: section (Internet gateway, load balancer)');
  return model.edge;
}

export const attPoint = (a: EdgeAttachment) => `${a.name}:${a.iface}`;
export const attVpcSide = (model: LabModel, a: EdgeAttachment) => `${model.vpc.name}:${a.vpcIface}`;

/** From the Internet host through the gateway into the VPC router, then out to an edge container `to`. */
export function fromInternet(model: LabModel, id: string, to?: EdgeAttachment): string[] {
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
export function viaNodesToEndpoints(model: LabModel, entry: NodeModel[], endpoints: Endpoint[]): TraceBranch[] {
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
export function directToEndpoints(model: LabModel, endpoints: Endpoint[]): TraceBranch[] {
  return endpoints.map((e) => {
    const pod = model.pods.find((p) => p.name === e.podName && p.ip === e.ip);
    const m = nodeOf(model, e.node);
    const points = dedupe([...nodeIn(model, m), ...(pod ? intoPod(model, pod) : [`${m.name}:cbr0`])]);
    return { label: `backend ${e.podName} (${e.ip}:${e.port}) on ${e.node}, straight from nginx`, points };
  });
}

export function readyEndpoints(model: LabModel, svc: ServiceModel, port: number, protocol: 'TCP' | 'UDP'): Endpoint[] {
  const slice = computeEndpoints(model).find(
    (x) => x.namespace === svc.namespace && x.service === svc.name && x.port === port && x.protocol === protocol,
  );
  return (slice?.endpoints ?? []).filter((e) => e.ready);
}
