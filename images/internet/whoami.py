#!/usr/bin/env python3
"""The Internet host's "what is my IP" echo (src/edge/internet.ts starts it).

GET /ip -> "<client ip>\\n"; GET /clientip -> "<ip>:<port>" (netexec's form); any other path ->
JSON {client, port, method, path, headers}. HTTP/1.1 keep-alive, a thread per connection.

  whoami.py PORT
"""
import http.server, json, socketserver, sys

class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "whoami"

    def do_GET(self):
        ip, port = self.client_address[0], self.client_address[1]
        if self.path == "/ip":
            body, ctype = ip + "\n", "text/plain"
        elif self.path == "/clientip":
            body, ctype = "%s:%d" % (ip, port), "text/plain"
        else:
            body = json.dumps({"client": ip, "port": port, "method": self.command, "path": self.path,
                               "headers": dict(self.headers.items())}, indent=1) + "\n"
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
