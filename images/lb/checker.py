#!/usr/bin/env python3
"""The cloud load balancer's health checker (src/edge/lb.ts renders its config).

Every intervalSeconds it checks every target of every entry (HTTP GET /healthz for
externalTrafficPolicy Local, a TCP connect for Cluster), keeps each target's up/down state with
rise/fall counts, and when the healthy set changes loads the entry's rules with one
iptables-restore --noflush. The rules come rendered in the config (lb.ts renders them as data);
this program only picks the healthy targets' DNAT rules and adds kube-proxy's probabilities.

A new CONFIG (its mtime changes: written again, or touched by `lab up` once the nodes' health
servers run) starts the next round at once instead of after the interval. STATE says when the
round it reports began ("started"), so a reader can wait for a round that began after an event.

  checker.py CONFIG STATE RULES           run the loop (the LB container runs this)
  checker.py --render CONFIG HEALTHY [STALE]  print the rules for a healthy set (tests)
"""
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def probability(n):
    """kube-proxy's probability(): "%0.10f" of 1/n (pkg/proxy/iptables/proxier.go, v1.31)."""
    return "%0.10f" % (1.0 / n)


def render(conf, healthy, stale=()):
    """The iptables-restore input for a healthy set (entry name -> node names); stale chains deleted."""
    rules = conf["rules"]
    nat, fw = [], []
    for e in conf["entries"]:
        r = e["rules"]
        nat += r["nat"]
        fw += r["filter"]
        up = [d for d in r["dnat"] if d["node"] in healthy.get(e["name"], [])]
        for i, d in enumerate(up):
            # Each rule takes 1/(remaining) of what reaches it: an even spread (as kube-proxy).
            stat = " -m statistic --mode random --probability %s" % probability(len(up) - i) if i < len(up) - 1 else ""
            nat.append(d["head"] + stat + " " + d["tail"])
    lines = ["*nat"] + [":%s - [0:0]" % c for c in rules["natChains"] + list(stale)] + nat
    lines += ["-X %s" % c for c in stale] + ["COMMIT"]
    lines += ["*filter", ":%s - [0:0]" % rules["filterChain"]] + fw + ["COMMIT", ""]
    return "\n".join(lines)


def chains(conf):
    return set(conf["rules"]["natChains"])


def check(t, timeout):
    """(ok, detail) of one target's check."""
    c = t["check"]
    try:
        s = socket.create_connection((t["ip"], c["port"]), timeout)
        try:
            if c["kind"] == "tcp":
                return True, "connected"
            s.settimeout(timeout)
            s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (c.get("path", "/"), t["ip"])).encode())
            head = s.recv(256).decode(errors="replace").split("\r\n")[0]
            code = int(head.split(" ")[1])
            return code == 200, "HTTP %d" % code
        finally:
            s.close()
    except Exception as ex:
        return False, type(ex).__name__


def step(status, conf, results):
    """Folds one round of check results into status (key -> (up, oks, fails)); returns the report."""
    report = {}
    for (name, t), (ok, detail) in results:
        key = name + " " + t["node"]
        up, oks, fails = status.get(key, (False, 0, 0))
        oks, fails = (oks + 1, 0) if ok else (0, fails + 1)
        if ok and oks >= conf["rise"]:
            up = True
        if not ok and fails >= conf["fall"]:
            up = False
        status[key] = (up, oks, fails)
        report.setdefault(name, {"healthy": [], "checks": {}})
        check_name = "%s:%d" % (t["check"]["kind"], t["check"]["port"])
        report[name]["checks"][t["node"]] = {"ok": ok, "detail": detail, "check": check_name}
        if up:
            report[name]["healthy"].append(t["node"])
    return report


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=1)
    os.replace(tmp, path)


def main(conf_path, state_path, rules_path):
    pool = ThreadPoolExecutor(16)
    status, applied, prev, last_error = {}, None, set(), None
    while True:
        t0 = time.time()
        try:
            seen = os.stat(conf_path).st_mtime_ns
            with open(conf_path) as f:
                conf = json.load(f)
        except Exception:
            time.sleep(0.2)
            continue
        work = [(e["name"], t) for e in conf["entries"] for t in e["targets"]]
        results = list(pool.map(lambda w: check(w[1], conf["timeoutSeconds"]), work))
        report = step(status, conf, zip(work, results))
        healthy = {n: r["healthy"] for n, r in report.items()}
        now = chains(conf)
        text = render(conf, healthy, sorted(prev - now))
        if text != applied:
            with open(rules_path, "w") as f:
                f.write(text)
            r = subprocess.run([conf["restore"], "-w", "--noflush", rules_path], capture_output=True, text=True)
            if r.returncode == 0:
                applied, prev, last_error = render(conf, healthy), now, None
            elif r.stderr != last_error:
                last_error = r.stderr
                sys.stderr.write(r.stderr)
                sys.stderr.flush()
        write_json(state_path, {"started": t0, "updated": time.time(), "services": report})
        wait_for_round(conf_path, seen, t0 + conf["intervalSeconds"])


def wait_for_round(conf_path, seen, until):
    """Sleeps until `until`, or less if the config changed since it was read (mtime `seen`)."""
    while time.time() < until:
        try:
            if os.stat(conf_path).st_mtime_ns != seen:
                return
        except OSError:
            pass
        time.sleep(min(0.1, max(0.0, until - time.time())))


if __name__ == "__main__":
    if sys.argv[1] == "--render":
        with open(sys.argv[2]) as f:
            stale = json.loads(sys.argv[4]) if len(sys.argv) > 4 else []
            sys.stdout.write(render(json.load(f), json.loads(sys.argv[3]), stale))
    else:
        main(sys.argv[1], sys.argv[2], sys.argv[3])
