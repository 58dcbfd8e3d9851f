/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { ingressRoutes } from '../../ingress/parse';
import { curlArgv } from '../../observe/curl';
import { PathUnavailable, TracePathDef } from '../common/trace';
import {
  directToEndpoints,
  edgeOf,
  FILTER,
  fromInternet,
  readyEndpoints,
  viaNodesToEndpoints,
} from '../common/trace-points';

export const ingressToServiceTrace: TracePathDef = {
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
