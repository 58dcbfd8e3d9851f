#!/usr/bin/env python3
"""The lab's pod test server: behaves like Kubernetes' agnhost netexec (stdlib only).

HTTP: /hostname /clientip /header?key=K /echo?msg=M /healthz /readyz /ready?set=true|false
      /shutdown; anything else is 404. Bodies are plain text without a trailing newline.
UDP:  "hostname", "clientip", "echo <msg>".
One runs per pod (hundreds per machine), so it stays small: no logging unless --verbose.
"""
import argparse
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

STATE = {"name": "", "ready": True, "verbose": False}


def client_ip(addr):
    host, port = addr[0], addr[1]
    # IPv4-mapped peers on a dual-stack socket read as plain IPv4, as agnhost prints them.
    if host.startswith("::ffff:") and "." in host:
        host = host[7:]
    if ":" in host:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a Go server
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus the peer's
    # delayed ACK adds ~40 ms to every response and skews latency probes.
    disable_nagle_algorithm = True
    server_version = "netexec"
    sys_version = ""

    def reply(self, code, body):
        data = body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def route(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query, keep_blank_values=True)

        def arg(k, default=""):
            return q.get(k, [default])[0]

        path = url.path
        if path == "/hostname":
            return self.reply(200, STATE["name"])
        if path == "/clientip":
            return self.reply(200, client_ip(self.client_address))
        if path == "/header":
            key = arg("key")
            if not key:
                return self.reply(400, "missing key")
            return self.reply(200, self.headers.get(key, ""))
        if path == "/echo":
            return self.reply(200, arg("msg"))
        if path in ("/healthz", "/readyz"):
            if STATE["ready"]:
                return self.reply(200, "ok")
            return self.reply(503, "not ready")
        if path == "/ready":
            s = arg("set").lower()
            if s in ("true", "1"):
                STATE["ready"] = True
            elif s in ("false", "0"):
                STATE["ready"] = False
            elif s:
                return self.reply(400, "set must be true or false")
            return self.reply(200, "ready=%s" % ("true" if STATE["ready"] else "false"))
        if path == "/shutdown":
            self.close_connection = True
            self.reply(200, "shutting down")
            self.wfile.flush()
            # Exit the whole process (pod death); os._exit skips waiting for other threads.
            threading.Timer(0.05, os._exit, args=(0,)).start()
            return None
        return self.reply(404, "404 page not found")

    def do_GET(self):
        self.route()

    do_POST = do_GET
    do_HEAD = do_GET

    def log_message(self, fmt, *args):
        if STATE["verbose"]:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def family(bind):
    return socket.AF_INET6 if ":" in bind else socket.AF_INET


def udp_socket(bind, port):
    s = socket.socket(family(bind), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind, port))
    return s


def serve_udp(s):
    while True:
        try:
            data, addr = s.recvfrom(65535)
        except OSError:
            continue
        msg = data.decode("utf-8", "replace").strip()
        if msg == "hostname":
            out = STATE["name"]
        elif msg == "clientip":
            out = client_ip(addr)
        elif msg == "echo" or msg.startswith("echo "):
            out = msg[5:]
        else:
            out = "unknown command: " + msg.split(" ", 1)[0]
        if STATE["verbose"]:
            sys.stderr.write("udp %s %r\n" % (client_ip(addr), msg))
        try:
            s.sendto(out.encode("utf-8"), addr)
        except OSError:
            pass


def main(argv=None):
    p = argparse.ArgumentParser(prog="netexec", description="pod test server (agnhost netexec work-alike)")
    p.add_argument("--http-port", type=int, default=8080, help="HTTP port, 0 disables (default 8080)")
    p.add_argument("--udp-port", type=int, default=8081, help="UDP port, 0 disables (default 8081)")
    p.add_argument("--http-bind", default="0.0.0.0", help="HTTP bind address (127.0.0.1 keeps it inside the pod)")
    p.add_argument("--udp-bind", default="0.0.0.0", help="UDP bind address")
    p.add_argument("--name", default=None, help="pod name answered by /hostname (default $POD_NAME or hostname)")
    p.add_argument("--verbose", action="store_true", help="log each request to stderr")
    a = p.parse_args(argv)
    STATE["name"] = a.name or os.environ.get("POD_NAME") or socket.gethostname()
    STATE["verbose"] = a.verbose

    # Bind both before serving so a taken port fails the process, not a thread.
    udp = udp_socket(a.udp_bind, a.udp_port) if a.udp_port else None
    if udp is not None:
        threading.Thread(target=serve_udp, args=(udp,), daemon=True).start()
    if a.http_port:
        HTTPServer.address_family = family(a.http_bind)
        srv = HTTPServer((a.http_bind, a.http_port), Handler)
        srv.serve_forever()
    else:
        threading.Event().wait()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
