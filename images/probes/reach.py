#!/usr/bin/env python3
"""Reachability probe run in a pod's network namespace (stdlib only).

Usage: reach.py TIMEOUT IP:PORT/PROTO ...   (PROTO tcp or udp)
Tries every target at once, one thread each, and prints one line per target:
  IP:PORT/PROTO ok <answer>      the server answered (HTTP GET /hostname, or UDP "hostname")
  IP:PORT/PROTO fail <why>       no answer within TIMEOUT seconds, or refused
A denied connection is not judged here: the caller reads the policy drop counters.
"""
import socket
import sys
import threading


def tcp(ip, port, timeout):
    s = socket.create_connection((ip, port), timeout=timeout)
    try:
        s.settimeout(timeout)
        s.sendall(("GET /hostname HTTP/1.0\r\nHost: %s\r\n\r\n" % ip).encode())
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1:2]
    if status != [b"200"]:
        raise OSError("HTTP %s" % (status[0].decode() if status else "?"))
    return body.decode(errors="replace")


def udp(ip, port, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(b"hostname", (ip, port))
        return s.recv(2048).decode(errors="replace")
    finally:
        s.close()


def main():
    timeout = float(sys.argv[1])
    out = {}

    def one(spec):
        addr, proto = spec.rsplit("/", 1)
        ip, port = addr.rsplit(":", 1)
        try:
            body = (tcp if proto == "tcp" else udp)(ip, int(port), timeout)
            out[spec] = "ok " + " ".join(body.split())
        except Exception as e:  # every failure is reported, never raised
            out[spec] = "fail " + (type(e).__name__ + " " + " ".join(str(e).split())).strip()

    threads = [threading.Thread(target=one, args=(s,)) for s in sys.argv[2:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in sys.argv[2:]:
        print(s, out.get(s, "fail no result"))


main()
