/**
 * The Internet host: a machine "somewhere on the Internet" (documentation addresses). It runs an
 * HTTP "what is my IP" echo (the source address it sees and the request headers) and the DNS
 * server for names outside the cluster (dnsmasq, authoritative for a small zone).
 */
import type { LabModel } from '../model/types';
import { q } from '../plan/shell';
import { EDGE_DIR, prefixLen, startOnce, writeFile } from './common';

export const WHOAMI_PORT = 80;
export const WHOAMI_SCRIPT = `${EDGE_DIR}/whoami.py`;

/** Names the Internet DNS answers; every one points at the Internet host. */
export function internetZone(model: LabModel): Array<{ name: string; ip: string }> {
  const ip = model.edge!.internet.ip;
  return ['example.com', 'www.example.com', 'whoami.example.net'].map((name) => ({ name, ip }));
}

/**
 * The echo: GET /ip -> "<client ip>\n"; GET /clientip -> "<ip>:<port>" (netexec's form); any other
 * path -> JSON {client, port, method, path, headers}. HTTP/1.1 keep-alive, threads per connection.
 */
export const WHOAMI_PY = `import http.server, json, socketserver, sys

class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "whoami"

    def do_GET(self):
        ip, port = self.client_address[0], self.client_address[1]
        if self.path == "/ip":
            body, ctype = ip + "\\n", "text/plain"
        elif self.path == "/clientip":
            body, ctype = "%s:%d" % (ip, port), "text/plain"
        else:
            body = json.dumps({"client": ip, "port": port, "method": self.command, "path": self.path,
                               "headers": dict(self.headers.items())}, indent=1) + "\\n"
            ctype = "application/json"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        # HTTPServer.server_bind looks up the host's FQDN: in a lab container that is a DNS timeout.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "lab", self.server_address[1]
    request_queue_size = 512

Server(("0.0.0.0", int(sys.argv[1])), Echo).serve_forever()
`;

/** dnsmasq argv: authoritative-style answers for the zone, NXDOMAIN inside it, nothing forwarded. */
export function dnsmasqArgv(model: LabModel): string[] {
  const e = model.edge!;
  const domains = [...new Set(internetZone(model).map((r) => r.name.split('.').slice(-2).join('.')))];
  return [
    'dnsmasq',
    '--keep-in-foreground',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--user=root',
    '--group=root',
    `--listen-address=${e.internet.ip}`,
    '--bind-interfaces',
    `--pid-file=${EDGE_DIR}/dnsmasq.pid.dnsmasq`,
    ...domains.map((d) => `--local=/${d}/`),
    ...internetZone(model).map((r) => `--host-record=${r.name},${r.ip}`),
    '--log-queries',
  ];
}

export function renderInternetHost(model: LabModel): string[] {
  const e = model.edge!;
  const h = e.internet;
  return [
    `# internet host: ${h.iface} ${h.ip}/${prefixLen(e.internetCIDR)} (+ ${h.otherClientIP}), default via the gateway ${h.gateway}`,
    `mkdir -p ${EDGE_DIR}`,
    'ip link set lo up',
    `ip addr add ${h.ip}/${prefixLen(e.internetCIDR)} dev ${q(h.iface)}`,
    `ip addr add ${h.otherClientIP}/${prefixLen(h.otherClientCIDR)} dev ${q(h.iface)}`,
    `ip link set ${q(h.iface)} up`,
    `ip route add default via ${h.gateway}`,
    ...writeFile(WHOAMI_SCRIPT, WHOAMI_PY),
    startOnce(`${EDGE_DIR}/whoami.pid`, `python3 ${WHOAMI_SCRIPT} ${WHOAMI_PORT}`, `${EDGE_DIR}/whoami.log`),
    startOnce(`${EDGE_DIR}/dnsmasq.pid`, dnsmasqArgv(model).map(q).join(' '), `${EDGE_DIR}/dnsmasq.log`),
    // Ready when both answer (a few hundred ms for python to start).
    `i=0; until curl -s -m 1 -o /dev/null http://${h.ip}:${WHOAMI_PORT}/ip && dig +short +time=1 +tries=1 @${h.ip} example.com | grep -q .; do i=$((i+1)); [ $i -lt 50 ] || { echo "internet host services did not start" >&2; cat ${EDGE_DIR}/*.log >&2; exit 1; }; sleep 0.1; done`,
  ];
}
