#!/usr/bin/env python3
"""TCP connect latency from a client pod (src/bench/proxy-scenario.ts runs it; python3 is in the lab image).

`count` fresh TCP connections (after 50 warm-up ones), each timed around connect() with
perf_counter_ns, to the targets in turn; closed with RST (linger 0) so neither the pod nor
conntrack piles up TIME_WAIT. Prints one line of integer ns per connect.

  connect-client.py COUNT IP:PORT...
"""
import socket, struct, sys, time
targets = [(t.rsplit(':', 1)[0], int(t.rsplit(':', 1)[1])) for t in sys.argv[2:]]
count, warm = int(sys.argv[1]), 50
out = []
for i in range(warm + count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.settimeout(5)
    t0 = time.perf_counter_ns()
    s.connect(targets[i % len(targets)])
    t1 = time.perf_counter_ns()
    s.close()
    if i >= warm:
        out.append(t1 - t0)
print(' '.join(map(str, out)))
