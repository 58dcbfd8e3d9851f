#!/usr/bin/env python3
"""kube-proxy's health servers on a node (src/edge/healthz.ts renders their config).

One HTTP server per healthCheckNodePort (externalTrafficPolicy Local LoadBalancers) answering
/healthz with 200 when the node holds a ready local endpoint of the Service, 503 otherwise, in
kube-proxy's JSON (pkg/proxy/healthcheck/service_health.go); and the proxier's own /healthz.
The config (healthz.json) is re-read when it changes; servers of removed ports are shut down.

  healthz.py CONFIG
"""
import http.server, json, os, socketserver, sys, threading, time
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
                body = '{\n\t"service": {\n\t\t"namespace": %s,\n\t\t"name": %s\n\t},\n\t"localEndpoints": %d,\n\t"serviceProxyHealthy": true\n}' % (
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
        sys.stderr.write("healthz: %r\n" % (ex,))
    time.sleep(0.3)
