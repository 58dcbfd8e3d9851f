#!/usr/bin/env python3
"""Throughput sink (src/bench/cni.ts; iperf3 is not in the lab image): accepts one connection,
counts bytes to EOF, prints the count, closes (the sender waits for that).

  tcp-sink.py PORT TIMEOUT_SECONDS
"""
import socket
import sys

port, timeout = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.listen(1)
s.settimeout(timeout)
c, _ = s.accept()
n = 0
while True:
    b = c.recv(1 << 18)
    if not b:
        break
    n += len(b)
print(n)
sys.stdout.flush()
c.close()
