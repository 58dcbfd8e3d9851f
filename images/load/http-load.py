#!/usr/bin/env python3
"""A bounded HTTP load generator (src/ingress/http-load.ts renders its command line).

`conns` threads for `seconds`, each either reusing one keep-alive connection or opening a new one
per request, every request timed. Prints one JSON line: counts, statuses, errors, latency
percentiles. Used by the ingress benchmark and the reload-without-drops test.

  http-load.py IP PORT HOST PATH SECONDS CONNECTIONS KEEPALIVE(1|0) TIMEOUT
"""
import http.client, json, sys, threading, time
ip, port, host, path, seconds, conns, keep, tmo = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6]), sys.argv[7] == "1", float(sys.argv[8])
lock = threading.Lock()
lat, statuses, samples, totals = [], {}, [], {"retried": 0}
RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
def once(c):
    c.request("GET", path, headers={"Host": host} if keep else {"Host": host, "Connection": "close"})
    r = c.getresponse(); r.read()
    return r
def worker(deadline):
    c, used = None, 0
    mine, st, errs, retried = [], {}, [], 0
    while time.time() < deadline:
        t0 = time.perf_counter()
        try:
            if c is None:
                c, used = http.client.HTTPConnection(ip, port, timeout=tmo), 0
            try:
                r = once(c)
            except RETRYABLE:
                # RFC 9112 9.3.1: an idempotent request that got no answer on a reused keep-alive
                # connection (the server closed it as idle, e.g. an nginx worker finishing after a
                # reload) is retried once on a new connection, as curl, browsers and Go do.
                if not used: raise
                retried += 1
                c.close(); c, used = http.client.HTTPConnection(ip, port, timeout=tmo), 0
                r = once(c)
            used += 1
            k = str(r.status)
            if not keep or r.getheader("connection", "").lower() == "close":
                c.close(); c = None
        except Exception as e:
            k = "error"
            if len(errs) < 5: errs.append(type(e).__name__ + ": " + str(e))
            try:
                c.close()
            except Exception:
                pass
            c = None
        mine.append((time.perf_counter() - t0) * 1000.0)
        st[k] = st.get(k, 0) + 1
    with lock:
        lat.extend(mine)
        for k, v in st.items(): statuses[k] = statuses.get(k, 0) + v
        samples.extend(errs[: max(0, 5 - len(samples))])
        totals["retried"] += retried
start = time.time(); deadline = start + seconds
ts = [threading.Thread(target=worker, args=(deadline,)) for _ in range(conns)]
for t in ts: t.start()
for t in ts: t.join()
el = time.time() - start
lat.sort()
pct = lambda p: round(lat[min(len(lat) - 1, max(0, int(-(-p * len(lat) // 100)) - 1))], 3) if lat else 0
ok = statuses.get("200", 0)
print(json.dumps({"requests": len(lat), "ok": ok, "errors": len(lat) - ok, "statuses": statuses, "errorSamples": samples, "retried": totals["retried"],
                  "seconds": round(el, 3), "rps": round(len(lat) / el, 1) if el else 0,
                  "p50ms": pct(50), "p90ms": pct(90), "p99ms": pct(99), "maxms": round(lat[-1], 3) if lat else 0}))
