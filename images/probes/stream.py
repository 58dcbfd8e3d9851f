#!/usr/bin/env python3
"""A steady stream of new connections from a pod, for proving a policy change has no window.

Usage: stream.py MAX_ROUNDS STOP_FILE IP:PORT/PROTO ...   (PROTO tcp or udp)
Runs until STOP_FILE exists (checked before each round) or MAX_ROUNDS rounds ran. Each round opens one new connection per target (a new source port, so conntrack sees a NEW
connection every time and the policy rules judge each one), prints `round N` after it, and at
the end one JSON line: per target the attempts, the answers (HTTP GET /hostname or UDP
"hostname") by body, and the failures. The caller compares these counts with the policy drop
counters; nothing here decides a verdict.
"""
import json
import os
import socket
import sys

TIMEOUT = 0.5


def tcp(ip, port):
    s = socket.create_connection((ip, port), timeout=TIMEOUT)
    try:
        s.settimeout(TIMEOUT)
        s.sendall(("GET /hostname HTTP/1.0\r\nHost: %s\r\n\r\n" % ip).encode())
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    return data.partition(b"\r\n\r\n")[2].decode(errors="replace").strip()


def udp(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(TIMEOUT)
        s.sendto(b"hostname", (ip, port))
        return s.recv(2048).decode(errors="replace").strip()
    finally:
        s.close()


def main():
    rounds = int(sys.argv[1])
    stop = sys.argv[2]
    specs = sys.argv[3:]
    out = {s: {"attempts": 0, "answers": {}, "failures": 0} for s in specs}
    for n in range(1, rounds + 1):
        if os.path.exists(stop):
            print("stopped by %s" % stop, flush=True)
            break
        for spec in specs:
            addr, proto = spec.rsplit("/", 1)
            ip, port = addr.rsplit(":", 1)
            r = out[spec]
            r["attempts"] += 1
            try:
                body = (tcp if proto == "tcp" else udp)(ip, int(port))
                r["answers"][body] = r["answers"].get(body, 0) + 1
            except Exception:  # no answer: the drop counters say why
                r["failures"] += 1
        print("round %d" % n, flush=True)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
