#!/usr/bin/env python3
"""Load through the cloud load balancer (src/bench/edge.ts runs it in the Internet host): CONCURRENCY
threads for SECONDS, a new TCP connection and an HTTP/1.0 GET per request. Prints one JSON line
{n, errors, seconds, latencies (ms, sorted)}.

  edge-load.py HOST PORT PATH SECONDS CONCURRENCY
"""
import json, socket, sys, threading, time
host, port, path, secs, conc = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
req = ("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode()
lat, errs, lock = [], [0], threading.Lock()
end = time.time() + secs
def worker():
    mine, bad = [], 0
    while time.time() < end:
        t0 = time.perf_counter()
        try:
            s = socket.create_connection((host, port), 2)
            s.settimeout(2)
            s.sendall(req)
            data = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                data += b
            s.close()
            if not data.startswith(b"HTTP/1.") or b" 200 " not in data.split(b"\r\n")[0]:
                bad += 1
                continue
            mine.append((time.perf_counter() - t0) * 1000)
        except Exception:
            bad += 1
    with lock:
        lat.extend(mine)
        errs[0] += bad
t0 = time.time()
ts = [threading.Thread(target=worker) for _ in range(conc)]
[t.start() for t in ts]
[t.join() for t in ts]
lat.sort()
print(json.dumps({"n": len(lat), "errors": errs[0], "seconds": time.time() - t0, "latencies": lat}))
