/**
 * kube-proxy's health servers on each node: one HTTP server per healthCheckNodePort
 * (externalTrafficPolicy Local LoadBalancers) answering /healthz with 200 when this node holds a
 * ready local endpoint of the Service, 503 otherwise, in kube-proxy's JSON
 * (pkg/proxy/healthcheck/service_health.go); and the proxier's own /healthz on 10256. The counts
 * come from each kube-proxy sync (healthz.json, re-read by the server within half a second).
 */
import type { LabModel, NodeModel } from '../model/types';
import type { EndpointSlice } from '../proxy/endpoints';
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

export const HEALTHZ_PY = `import http.server, json, os, socketserver, sys, threading, time
from datetime import datetime, timezone

CONF = sys.argv[1]
counts, servers, started = {}, {}, datetime.now(timezone.utc)

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        # HTTPServer.server_bind looks up the host's FQDN: in a lab container that is a DNS timeout.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "lab", self.server_address[1]

def handler(port):
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            svc = counts.get(port)
            if svc is None:
                now = datetime.now(timezone.utc).isoformat()
                body = json.dumps({"lastUpdated": now, "currentTime": now, "nodeEligible": True}, indent=1)
                code = 200
            else:
                n = svc["localEndpoints"]
                body = '{\\n\\t"service": {\\n\\t\\t"namespace": %s,\\n\\t\\t"name": %s\\n\\t},\\n\\t"localEndpoints": %d,\\n\\t"serviceProxyHealthy": true\\n}' % (
                    json.dumps(svc["namespace"]), json.dumps(svc["name"]), n)
                code = 200 if n > 0 else 503
                self.send_response(code)
                self.send_header("X-Load-Balancing-Endpoint-Weight", str(n))
            if svc is None:
                self.send_response(code)
            data = body.encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        def log_message(self, *a):
            pass
    return H

def serve(port):
    srv = Server(("0.0.0.0", port), handler(port))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv

mtime = None
while True:
    try:
        m = os.stat(CONF).st_mtime_ns
        if m != mtime:
            with open(CONF) as f:
                conf = json.load(f)
            mtime = m
            want = {s["port"]: s for s in conf["services"]}
            for port in list(servers):
                if port != conf["proxyPort"] and port not in want:
                    servers.pop(port).shutdown()
                    counts.pop(port, None)
            counts.update(want)
            for port in [conf["proxyPort"]] + list(want):
                if port not in servers:
                    servers[port] = serve(port)
    except Exception as ex:
        sys.stderr.write("healthz: %r\\n" % (ex,))
    time.sleep(0.3)
`;

/** Lines for one node each sync: write the counts (atomically), start the server once. */
export function renderHealthzSync(model: LabModel, node: NodeModel, slices: EndpointSlice[]): string[] {
  const conf = healthzConfig(model, node, slices);
  return [
    `mkdir -p ${EDGE_DIR}`,
    `cat > ${HEALTHZ_SERVER} <<'K8S_NETLAB_HEALTHZ_EOF'`,
    HEALTHZ_PY.replace(/\n$/, ''),
    'K8S_NETLAB_HEALTHZ_EOF',
    `cat > ${HEALTHZ_CONFIG}.tmp <<'K8S_NETLAB_HEALTHZ_EOF'`,
    JSON.stringify(conf),
    'K8S_NETLAB_HEALTHZ_EOF',
    `mv ${HEALTHZ_CONFIG}.tmp ${HEALTHZ_CONFIG}`,
    startOnce(`${EDGE_DIR}/healthz.pid`, `python3 ${HEALTHZ_SERVER} ${HEALTHZ_CONFIG}`, `${EDGE_DIR}/healthz.log`),
    // Ready when every health port answers (python takes a moment to start on a busy machine).
    `i=0; until ${[conf.proxyPort, ...conf.services.map((x) => x.port)].map((p) => `curl -s -m 1 -o /dev/null http://127.0.0.1:${p}/healthz`).join(' && ')}; do i=$((i+1)); [ $i -lt 100 ] || { echo "kube-proxy health server did not start" >&2; cat ${EDGE_DIR}/healthz.log >&2; exit 1; }; sleep 0.1; done`,
  ];
}
