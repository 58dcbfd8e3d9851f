/** Which services, ports and clients the service probes use: pure, from the model. */
import { LabModel, PodModel, ServiceModel, ServicePortModel } from '../../model/types';
import { computeEndpoints, Endpoint } from '../../proxy/endpoints';
import { servingPods } from './select';

export interface ServicePortRef {
  svc: ServiceModel;
  port: ServicePortModel;
  /** Endpoints if every matching pod were ready; probes check readiness when they run. */
  endpoints: Endpoint[];
}

/** A service port with a VIP whose backends serve the netexec protocol on the target port. */
function portRefs(model: LabModel, proto: 'TCP' | 'UDP'): ServicePortRef[] {
  const slices = computeEndpoints(model, () => true);
  const refs: ServicePortRef[] = [];
  for (const svc of model.services) {
    if (svc.clusterIP === 'None' || svc.type === 'ExternalName' || !svc.selector) continue;
    for (const port of svc.ports.filter((p) => p.protocol === proto)) {
      const slice = slices.find(
        (s) => s.namespace === svc.namespace && s.service === svc.name && s.port === port.port && s.protocol === proto,
      );
      refs.push({ svc, port, endpoints: slice?.endpoints ?? [] });
    }
  }
  return refs;
}

/** TCP service ports whose backends answer HTTP on the target port. */
export function httpServicePorts(model: LabModel): ServicePortRef[] {
  return portRefs(model, 'TCP').filter((r) =>
    r.endpoints.every((e) => {
      const pod = model.pods.find((p) => p.ip === e.ip)!;
      return pod.containers.some((c) => c.httpPort === e.port && c.bind !== '127.0.0.1');
    }),
  );
}

export function udpServicePorts(model: LabModel): ServicePortRef[] {
  return portRefs(model, 'UDP').filter(
    (r) =>
      r.endpoints.length > 0 &&
      r.endpoints.every((e) => model.pods.find((p) => p.ip === e.ip)!.containers.some((c) => c.udpPort === e.port)),
  );
}

/**
 * One client pod per node: a pod that is not a backend of the service; when the node has none, a
 * backend (its requests may hairpin) unless `nonBackend` is set, for probes that judge the
 * client address the backend saw.
 */
export function clientsPerNode(model: LabModel, ref: ServicePortRef, nonBackend = false): PodModel[] {
  const backends = new Set(ref.endpoints.map((e) => e.ip));
  const out: PodModel[] = [];
  for (const n of model.nodes) {
    const pods = servingPods(model).filter((p) => p.node === n.name && p.namespace === ref.svc.namespace);
    const pick = pods.find((p) => !backends.has(p.ip)) ?? (nonBackend ? undefined : pods[0]);
    if (pick) out.push(pick);
  }
  return out;
}

/** How many requests make missing one of n equally likely backends improbable (< 1e-4). */
export function requestsFor(backends: number): number {
  if (backends <= 1) return 10;
  return Math.min(MAX_REQUESTS, Math.max(20, Math.ceil(Math.log(1e-4 / backends) / Math.log(1 - 1 / backends))));
}

/**
 * Labs above this many pods choose probes by coverage instead of all pairs (BENCHMARKS.md, "verify
 * that scales"): the guide (16 pods) and other small labs keep every probe as it is.
 */
export const SCALE_THRESHOLD_PODS = 100;

export function isLargeLab(model: LabModel): boolean {
  return model.pods.length > SCALE_THRESHOLD_PODS;
}

/**
 * Requests of a spread check that samples (large labs, every Service after the first): 3 per
 * backend, at least 20, judged by distinctNeeded. For n = 20 backends, 60 requests: a correct lab
 * reaches fewer than the 15 needed with probability 1.7e-5 (exact, by the distinct-count
 * recurrence), n = 5..50 stay below 1.1e-4; a node that reaches only half the backends fails for
 * certain; one missing backend of 20 is not caught by a sample (the first Service's full check is).
 */
export function sampledRequests(backends: number): number {
  return Math.min(requestsFor(backends), Math.max(20, 3 * backends));
}

/** Beyond this many requests a probe samples: with many backends, seeing every one would take thousands. */
export const MAX_REQUESTS = 300;

/**
 * How many distinct backends K uniform requests must reach before the spread is believable: all of
 * them when K covers every backend with near certainty, else 80% of the expected n(1-(1-1/n)^K).
 */
export function distinctNeeded(backends: number, k: number): number {
  const certain = backends <= 1 || Math.ceil(Math.log(1e-4 / backends) / Math.log(1 - 1 / backends)) <= k;
  if (certain) return backends;
  return Math.floor(0.8 * backends * (1 - Math.pow(1 - 1 / backends, k)));
}

export function svcLabel(ref: ServicePortRef): string {
  return `${ref.svc.namespace}/${ref.svc.name}:${ref.port.name ?? ref.port.port}`;
}
