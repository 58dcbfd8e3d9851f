#!/usr/bin/env python3
"""Throughput sender (src/bench/cni.ts): streams for SECONDS, half-closes, waits for the sink to
close; prints `<bytes> <seconds>`. Retries the connect for 5 s while the sink starts.

  tcp-sender.py IP PORT SECONDS
"""
import socket
import sys
import time

ip, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
for i in range(50):
    try:
        s = socket.create_connection((ip, port), timeout=2)
        break
    except OSError:
        time.sleep(0.1)
b = b"x" * (1 << 18)
n = 0
t = time.time()
while time.time() - t < seconds:
    s.sendall(b)
    n += len(b)
s.shutdown(socket.SHUT_WR)
s.settimeout(30)
s.recv(1)
print(n, time.time() - t)
