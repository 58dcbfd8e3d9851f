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
from urllib.parse import parse_qs

STATE = {"name": "", "ready": True, "verbose": False}


def client_ip(addr):
    host, port = addr[0], addr[1]
    # IPv4-mapped peers on a dual-stack socket read as plain IPv4, as agnhost prints them.
    if host.startswith("::ffff:") and "." in host:
        host = host[7:]
    if ":" in host:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)


REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 503: "Service Unavailable"}


def route(path, query, headers, peer):
    """Returns (status, body, exit_after)."""
    q = parse_qs(query, keep_blank_values=True)

    def arg(k):
        return q.get(k, [""])[0]

    if path == "/hostname":
        return 200, STATE["name"], False
    if path == "/clientip":
        return 200, client_ip(peer), False
    if path == "/header":
        key = arg("key").strip().lower()
        if not key:
            return 400, "missing key", False
        return 200, headers.get(key, ""), False
    if path == "/echo":
        return 200, arg("msg"), False
    if path in ("/healthz", "/readyz"):
        return (200, "ok", False) if STATE["ready"] else (503, "not ready", False)
    if path == "/ready":
        s = arg("set").lower()
        if s in ("true", "1"):
            STATE["ready"] = True
        elif s in ("false", "0"):
            STATE["ready"] = False
        elif s:
            return 400, "set must be true or false", False
        return 200, "ready=%s" % ("true" if STATE["ready"] else "false"), False
    if path == "/shutdown":
        return 200, "shutting down", True
    return 404, "404 page not found", False


def read_head(f):
    """Reads a request line and headers; None at a clean EOF."""
    line = f.readline(8192)
    while line in (b"\r\n", b"\n"):  # stray CRLF between pipelined requests
        line = f.readline(8192)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    headers = {}
    while True:
        h = f.readline(8192)
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers.setdefault(k.strip().lower(), v.strip())  # first value wins, like Go's Header.Get
    return parts, headers


def serve_conn(conn, peer):
    """One HTTP/1.x connection, keep-alive until the client closes or asks to.

    Hand-rolled instead of http.server: that module pulls in email/html/mimetypes and costs
    ~4 MB more per pod, and there is one server per pod.
    """
    try:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = conn.makefile("rb")
        while True:
            req = read_head(f)
            if req is None:
                break
            parts, headers = req
            if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                break
            method, target, version = parts
            n = int(headers.get("content-length", "0") or "0")
            if n > 0:
                f.read(n)
            conn_hdr = headers.get("connection", "").lower()
            keep = conn_hdr != "close" if version == "HTTP/1.1" else conn_hdr == "keep-alive"
            if "chunked" in headers.get("transfer-encoding", "").lower():
                keep = False  # request bodies are never used; don't parse chunks, just close after
            path, _, query = target.partition("?")
            code, body, exit_after = route(path, query, headers, peer)
            if exit_after:
                keep = False
            data = body.encode("utf-8")
            head = "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n%s\r\n" % (
                code, REASONS.get(code, ""), len(data), "" if keep else "Connection: close\r\n")
            conn.sendall(head.encode("latin-1") + (b"" if method == "HEAD" else data))
            if STATE["verbose"]:
                sys.stderr.write("%s %s %s %d\n" % (client_ip(peer), method, target, code))
            if exit_after:
                # Pod death: exit the whole process, whatever other connections are doing.
                conn.shutdown(socket.SHUT_RDWR)
                os._exit(0)
            if not keep:
                break
    except (OSError, ValueError):
        pass
    finally:
        conn.close()


def serve_http(srv):
    while True:
        try:
            conn, peer = srv.accept()
        except OSError:
            continue
        threading.Thread(target=serve_conn, args=(conn, peer), daemon=True).start()


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
        srv = socket.socket(family(a.http_bind), socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((a.http_bind, a.http_port))
        srv.listen(128)
        serve_http(srv)
    else:
        threading.Event().wait()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
