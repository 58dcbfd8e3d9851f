/**
 * kube-proxy's health servers on each node: one HTTP server per healthCheckNodePort
 * (externalTrafficPolicy Local LoadBalancers) answering /healthz with 200 when this node holds a
 * ready local endpoint of the Service, 503 otherwise, in kube-proxy's JSON
 * (pkg/proxy/healthcheck/service_health.go); and the proxier's own /healthz on 10256. The counts
 * come from each kube-proxy sync (healthz.json, re-read by the server within half a second). The
 * server is images/kube-proxy/healthz.py.
 */
import type { LabModel, NodeModel } from '../model/types';
import type { EndpointSlice } from '../proxy/endpoints';
import { programSource } from '../images/programs';
import { waitUntil, writeFileLines } from '../plan/shell';
import { EDGE_DIR, startOnce } from './common';
import { PROXY_HEALTHZ_PORT } from './lb';

export const HEALTHZ_CONFIG = `${EDGE_DIR}/healthz.json`;
export const HEALTHZ_SERVER = `${EDGE_DIR}/healthz.py`;

export interface HealthzService {
  namespace: string;
  name: string;
  port: number;
  localEndpoints: number;
}

export interface HealthzConfig {
  proxyPort: number;
  services: HealthzService[];
}

/** Per ETP-Local LoadBalancer: how many ready endpoints (distinct pods) it has on this node. */
export function healthzConfig(model: LabModel, node: NodeModel, slices: EndpointSlice[]): HealthzConfig {
  const services: HealthzService[] = [];
  for (const svc of model.services) {
    if (svc.type !== 'LoadBalancer' || svc.externalTrafficPolicy !== 'Local' || !svc.healthCheckNodePort) continue;
    const local = new Set<string>();
    for (const s of slices) {
      if (s.namespace !== svc.namespace || s.service !== svc.name) continue;
      for (const e of s.endpoints) if (e.ready && e.node === node.name) local.add(e.ip);
    }
    services.push({
      namespace: svc.namespace,
      name: svc.name,
      port: svc.healthCheckNodePort,
      localEndpoints: local.size,
    });
  }
  return { proxyPort: PROXY_HEALTHZ_PORT, services };
}

/** Lines for one node each sync: write the counts (atomically), start the server once. */
export function renderHealthzSync(model: LabModel, node: NodeModel, slices: EndpointSlice[]): string[] {
  const conf = healthzConfig(model, node, slices);
  return [
    ...writeFileLines(HEALTHZ_SERVER, programSource('healthz'), { mkdir: true }),
    ...writeFileLines(HEALTHZ_CONFIG, JSON.stringify(conf), { atomic: true }),
    startOnce(`${EDGE_DIR}/healthz.pid`, `python3 ${HEALTHZ_SERVER} ${HEALTHZ_CONFIG}`, `${EDGE_DIR}/healthz.log`),
    // Ready when every health port answers (python takes a moment to start on a busy machine).
    waitUntil(
      [conf.proxyPort, ...conf.services.map((x) => x.port)]
        .map((p) => `curl -s -m 1 -o /dev/null http://127.0.0.1:${p}/healthz`)
        .join(' && '),
      { what: 'kube-proxy health server did not start', onTimeout: `cat ${EDGE_DIR}/healthz.log >&2` },
    ),
  ];
}
