/**
 * The lab's EndpointSlice controller: which pod addresses back each service port.
 * Mirrors what kube-controller-manager writes and kube-proxy reads (one slice per service
 * port here, which is all the proxy renderers need).
 */

import type { LabModel, PodModel, ServiceModel, ServicePortModel } from '../model/types';
import { parseIp } from '../net/ipv4';

export interface Endpoint {
  ip: string;
  /** Resolved target port on the pod. */
  port: number;
  /** Node the pod runs on (EndpointSlice `nodeName`); decides "local" for traffic policies. */
  node: string;
  podName: string;
  /**
   * EndpointSlice `conditions.ready`: the pod is ready, or the service publishes not-ready
   * addresses. Not-ready endpoints stay in the slice (as in Kubernetes) but no proxy mode uses them.
   */
  ready: boolean;
}

export interface EndpointSlice {
  namespace: string;
  service: string;
  /** Service port name ('' when the port is unnamed). */
  portName: string;
  protocol: 'TCP' | 'UDP';
  /** The service port (not the target port). */
  port: number;
  /** Sorted by IP numerically, then port. */
  endpoints: Endpoint[];
}

/** `ns/svc:port` (or `ns/svc` for an unnamed port), as kube-proxy's ServicePortName.String(). */
export function servicePortName(namespace: string, service: string, portName: string | undefined): string {
  return portName ? `${namespace}/${service}:${portName}` : `${namespace}/${service}`;
}

export function sliceKey(s: Pick<EndpointSlice, 'namespace' | 'service' | 'portName' | 'protocol'>): string {
  return `${s.namespace}/${s.service}:${s.portName}/${s.protocol}`;
}

/** True when every selector label is present with the same value on the pod. */
export function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/**
 * The pod port a service port targets: a number is used as is; a name is looked up among the
 * pod's containers' ports with the same protocol (podutil.FindPort). Undefined: not an endpoint.
 */
export function resolveTargetPort(pod: PodModel, sp: ServicePortModel): number | undefined {
  const t = sp.targetPort;
  if (typeof t === 'number') return t;
  if (/^[0-9]+$/.test(t)) return Number(t);
  for (const c of pod.containers) {
    for (const p of c.ports ?? []) {
      if (p.name === t && p.protocol === sp.protocol) return p.containerPort;
    }
  }
  return undefined;
}

function ipNum(ip: string): number {
  return parseIp(ip) ?? Number.MAX_SAFE_INTEGER;
}

export function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return ipNum(a.ip) - ipNum(b.ip) || a.port - b.port;
}

/** Pods by "namespace\nlabel=value", so a selector does not scan every pod. */
function indexPods(pods: PodModel[]): Map<string, PodModel[]> {
  const index = new Map<string, PodModel[]>();
  for (const p of pods) {
    for (const [k, v] of Object.entries(p.labels)) {
      const key = `${p.namespace}\n${k}=${v}`;
      const list = index.get(key);
      if (list) list.push(p);
      else index.set(key, [p]);
    }
  }
  return index;
}

/** Services that get endpoints: everything with a selector except ExternalName. */
function hasEndpoints(svc: ServiceModel): boolean {
  return svc.type !== 'ExternalName' && !!svc.selector && Object.keys(svc.selector).length > 0;
}

/**
 * One slice per service port. `ready` says whether a pod passes its readiness check; when the
 * service sets publishNotReadyAddresses every matching pod counts as ready. Headless services get
 * slices too (DNS answers from them); ExternalName services and selector-less services get none.
 */
export function computeEndpoints(model: LabModel, ready: (pod: PodModel) => boolean = () => true): EndpointSlice[] {
  const slices: EndpointSlice[] = [];
  const index = indexPods(model.pods);
  for (const svc of model.services) {
    if (!hasEndpoints(svc)) continue;
    // Candidates share the selector's first label; the rest of the selector filters them.
    const [k, v] = Object.entries(svc.selector!)[0];
    const candidates = index.get(`${svc.namespace}\n${k}=${v}`) ?? [];
    const pods = candidates.filter((p) => !!p.ip && selectorMatches(svc.selector!, p.labels));
    const readiness = new Map(pods.map((p) => [p.name, svc.publishNotReadyAddresses || ready(p)]));
    for (const sp of svc.ports) {
      const endpoints: Endpoint[] = [];
      for (const pod of pods) {
        const port = resolveTargetPort(pod, sp);
        if (port === undefined) continue;
        endpoints.push({ ip: pod.ip, port, node: pod.node, podName: pod.name, ready: readiness.get(pod.name)! });
      }
      endpoints.sort(compareEndpoints);
      slices.push({
        namespace: svc.namespace,
        service: svc.name,
        portName: sp.name ?? '',
        protocol: sp.protocol,
        port: sp.port,
        endpoints,
      });
    }
  }
  return slices;
}

/** Index slices by sliceKey for the renderers. */
export function indexSlices(slices: EndpointSlice[]): Map<string, EndpointSlice> {
  return new Map(slices.map((s) => [sliceKey(s), s]));
}
