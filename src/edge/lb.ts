/**
 * The cloud load balancer: a container holding every LoadBalancer IP, which DNATs each new
 * connection to <node IP>:<nodePort> of one healthy node (keeping the client's address, as a
 * pass-through network load balancer does), spread with `-m statistic`. A health checker in the
 * container probes every node each second (HTTP GET <node>:<healthCheckNodePort>/healthz for
 * externalTrafficPolicy Local; a TCP connect to the NodePort for Cluster) and rewrites the DNAT
 * chains with one iptables-restore when the healthy set changes. loadBalancerSourceRanges are
 * enforced here, as the cloud's firewall does.
 */
import { createHash } from 'crypto';
import type { LabModel } from '../model/types';
import { iptablesBinary, iptablesRestoreBinary } from '../proxy/iptables-bootstrap';
import { base32 } from '../proxy/hash';
import { q } from '../plan/shell';
import { EDGE_DIR, restoreWithJumps, rpFilterOff, startOnce, writeFile } from './common';

export const LB_SERVICES = 'LB-SERVICES';
export const LB_FIREWALL = 'LB-FIREWALL';
export const LB_CONFIG = `${EDGE_DIR}/lb-config.json`;
export const LB_STATE = `${EDGE_DIR}/lb-state.json`;
export const LB_RULES = `${EDGE_DIR}/lb.rules`;
export const LB_CHECKER = `${EDGE_DIR}/lb-healthcheck.py`;
/** kube-proxy's own health server (--healthz-bind-address): the LB's check for UDP ports with ETP Cluster. */
export const PROXY_HEALTHZ_PORT = 10256;

export interface LbCheck {
  kind: 'http' | 'tcp';
  port: number;
  path?: string;
}

export interface LbTarget {
  node: string;
  ip: string;
  port: number;
  check: LbCheck;
}

export interface LbEntry {
  /** `ns/svc:port` */
  name: string;
  /** `ns/svc` */
  service: string;
  lbIP: string;
  port: number;
  protocol: 'tcp' | 'udp';
  externalTrafficPolicy: 'Cluster' | 'Local';
  svcChain: string;
  /** Set when the Service has loadBalancerSourceRanges. */
  fwChain?: string;
  sourceRanges: string[];
  targets: LbTarget[];
}

export interface LbConfig {
  /** iptables-restore binary of the lab's backend. */
  restore: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  /** Consecutive successes before a node gets traffic, failures before it loses it. */
  rise: number;
  fall: number;
  entries: LbEntry[];
}

function chainHash(s: string): string {
  return base32(createHash('sha256').update(s, 'utf8').digest()).slice(0, 16);
}

/** Every LoadBalancer port with an IP, one entry per port, targets = every node (the LB checks them). */
export function lbConfig(model: LabModel): LbConfig {
  const entries: LbEntry[] = [];
  for (const svc of model.services) {
    if (svc.type !== 'LoadBalancer' || !svc.loadBalancerIP) continue;
    const local = svc.externalTrafficPolicy === 'Local';
    for (const p of svc.ports) {
      if (!p.nodePort) continue;
      const proto = p.protocol.toLowerCase() as 'tcp' | 'udp';
      const name = `${svc.namespace}/${svc.name}${p.name ? `:${p.name}` : ''}`;
      const h = chainHash(name + proto);
      const ranges = svc.loadBalancerSourceRanges ?? [];
      const check: LbCheck =
        local && svc.healthCheckNodePort
          ? { kind: 'http', port: svc.healthCheckNodePort, path: '/healthz' }
          : proto === 'tcp'
            ? { kind: 'tcp', port: p.nodePort }
            : { kind: 'http', port: PROXY_HEALTHZ_PORT, path: '/healthz' };
      entries.push({
        name,
        service: `${svc.namespace}/${svc.name}`,
        lbIP: svc.loadBalancerIP,
        port: p.port,
        protocol: proto,
        externalTrafficPolicy: svc.externalTrafficPolicy,
        svcChain: `LB-SVC-${h}`,
        ...(ranges.length ? { fwChain: `LB-FW-${h}` } : {}),
        sourceRanges: ranges,
        targets: model.nodes.map((n) => ({ node: n.name, ip: n.ip, port: p.nodePort!, check })),
      });
    }
  }
  return {
    restore: iptablesRestoreBinary(model.cluster.iptablesBackend),
    intervalSeconds: 1,
    timeoutSeconds: 0.5,
    rise: 1,
    fall: 2,
    entries,
  };
}

/** "%0.10f" of 1/n, as kube-proxy's probability(). */
function probability(n: number): string {
  return (1 / n).toFixed(10);
}

/**
 * The LB's rules for a healthy set (entry name -> node names). The Python checker renders the
 * same text (LB_CHECKER_PY's render(); a unit test keeps the two equal).
 */
export function renderLbRules(conf: LbConfig, healthy: Record<string, string[]>, stale: string[] = []): string {
  const decl = [LB_SERVICES];
  const nat: string[] = [];
  const fw: string[] = [];
  for (const e of conf.entries) {
    const m = `-p ${e.protocol} -m ${e.protocol} --dport ${e.port}`;
    decl.push(e.svcChain);
    nat.push(
      `-A ${LB_SERVICES} -d ${e.lbIP}/32 ${m} -m comment --comment "${e.name} loadbalancer IP" -j ${e.fwChain ?? e.svcChain}`,
    );
    if (e.fwChain) {
      decl.push(e.fwChain);
      for (const r of e.sourceRanges) {
        nat.push(`-A ${e.fwChain} -s ${r} -m comment --comment "${e.name} loadBalancerSourceRanges" -j ${e.svcChain}`);
        fw.push(`-A ${LB_FIREWALL} -s ${r} -d ${e.lbIP}/32 ${m} -j RETURN`);
      }
      fw.push(
        `-A ${LB_FIREWALL} -d ${e.lbIP}/32 ${m} -m comment --comment "${e.name} source not in loadBalancerSourceRanges" -j DROP`,
      );
    }
    const up = e.targets.filter((t) => (healthy[e.name] ?? []).includes(t.node));
    up.forEach((t, i) => {
      const stat = i < up.length - 1 ? ` -m statistic --mode random --probability ${probability(up.length - i)}` : '';
      nat.push(
        `-A ${e.svcChain} -m comment --comment "${e.name} -> ${t.node} ${t.ip}:${t.port}"${stat} -p ${e.protocol} -j DNAT --to-destination ${t.ip}:${t.port}`,
      );
    });
  }
  const natDecl = [...decl, ...stale].map((c) => `:${c} - [0:0]`);
  return [
    '*nat',
    ...natDecl,
    ...nat,
    ...stale.map((c) => `-X ${c}`),
    'COMMIT',
    '*filter',
    `:${LB_FIREWALL} - [0:0]`,
    ...fw,
    'COMMIT',
    '',
  ].join('\n');
}

/** The checker: python3 LB_CHECKER CONFIG STATE RULES (loop), or `--render CONFIG HEALTHY_JSON` (tests). */
export const LB_CHECKER_PY = `import json, os, socket, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor

LB_SERVICES, LB_FIREWALL = "${LB_SERVICES}", "${LB_FIREWALL}"

def render(conf, healthy, stale=()):
    decl, nat, fw = [LB_SERVICES], [], []
    for e in conf["entries"]:
        m = "-p %s -m %s --dport %d" % (e["protocol"], e["protocol"], e["port"])
        decl.append(e["svcChain"])
        nat.append('-A %s -d %s/32 %s -m comment --comment "%s loadbalancer IP" -j %s' % (LB_SERVICES, e["lbIP"], m, e["name"], e.get("fwChain") or e["svcChain"]))
        if e.get("fwChain"):
            decl.append(e["fwChain"])
            for r in e["sourceRanges"]:
                nat.append('-A %s -s %s -m comment --comment "%s loadBalancerSourceRanges" -j %s' % (e["fwChain"], r, e["name"], e["svcChain"]))
                fw.append("-A %s -s %s -d %s/32 %s -j RETURN" % (LB_FIREWALL, r, e["lbIP"], m))
            fw.append('-A %s -d %s/32 %s -m comment --comment "%s source not in loadBalancerSourceRanges" -j DROP' % (LB_FIREWALL, e["lbIP"], m, e["name"]))
        up = [t for t in e["targets"] if t["node"] in healthy.get(e["name"], [])]
        for i, t in enumerate(up):
            stat = " -m statistic --mode random --probability %.10f" % (1.0 / (len(up) - i)) if i < len(up) - 1 else ""
            nat.append('-A %s -m comment --comment "%s -> %s %s:%d"%s -p %s -j DNAT --to-destination %s:%d' % (e["svcChain"], e["name"], t["node"], t["ip"], t["port"], stat, e["protocol"], t["ip"], t["port"]))
    lines = ["*nat"] + [":%s - [0:0]" % c for c in decl + list(stale)] + nat + ["-X %s" % c for c in stale] + ["COMMIT"]
    lines += ["*filter", ":%s - [0:0]" % LB_FIREWALL] + fw + ["COMMIT", ""]
    return "\\n".join(lines)

def chains(conf):
    out = set()
    for e in conf["entries"]:
        out.add(e["svcChain"])
        if e.get("fwChain"):
            out.add(e["fwChain"])
    return out

def check(t, timeout):
    c = t["check"]
    try:
        s = socket.create_connection((t["ip"], c["port"]), timeout)
        try:
            if c["kind"] == "tcp":
                return True, "connected"
            s.settimeout(timeout)
            s.sendall(("GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n" % (c.get("path", "/"), t["ip"])).encode())
            head = s.recv(256).decode(errors="replace").split("\\r\\n")[0]
            code = int(head.split(" ")[1])
            return code == 200, "HTTP %d" % code
        finally:
            s.close()
    except Exception as ex:
        return False, type(ex).__name__

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
            with open(conf_path) as f:
                conf = json.load(f)
        except Exception:
            time.sleep(0.2)
            continue
        work = [(e["name"], t) for e in conf["entries"] for t in e["targets"]]
        results = list(pool.map(lambda w: check(w[1], conf["timeoutSeconds"]), work))
        report = {}
        for (name, t), (ok, detail) in zip(work, results):
            key = name + " " + t["node"]
            up, oks, fails = status.get(key, (False, 0, 0))
            oks, fails = (oks + 1, 0) if ok else (0, fails + 1)
            if ok and oks >= conf["rise"]:
                up = True
            if not ok and fails >= conf["fall"]:
                up = False
            status[key] = (up, oks, fails)
            report.setdefault(name, {"healthy": [], "checks": {}})
            report[name]["checks"][t["node"]] = {"ok": ok, "detail": detail, "check": "%s:%d" % (t["check"]["kind"], t["check"]["port"])}
            if up:
                report[name]["healthy"].append(t["node"])
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
        write_json(state_path, {"updated": time.time(), "services": report})
        time.sleep(max(0.0, conf["intervalSeconds"] - (time.time() - t0)))

if __name__ == "__main__":
    if sys.argv[1] == "--render":
        with open(sys.argv[2]) as f:
            sys.stdout.write(render(json.load(f), json.loads(sys.argv[3]), json.loads(sys.argv[4]) if len(sys.argv) > 4 else []))
    else:
        main(sys.argv[1], sys.argv[2], sys.argv[3])
`;

/** The load balancer's network: transit link, default route back to the VPC router. */
export function renderLbBase(model: LabModel): string[] {
  const lb = model.edge!.lb;
  return [
    `# lb: ${lb.iface} ${lb.ip}/${lb.prefixLen} to the VPC router; holds the pool ${model.edge!.loadBalancerPool}`,
    `mkdir -p ${EDGE_DIR}`,
    'ip link set lo up',
    `ip addr add ${lb.ip}/${lb.prefixLen} dev ${q(lb.iface)}`,
    `ip link set ${q(lb.iface)} up`,
    `ip route add default via ${lb.vpcIP}`,
    ...rpFilterOff([lb.iface]),
    // Keep one conntrack entry per client connection for the whole life of the connection.
    'echo 1 > /proc/sys/net/netfilter/nf_conntrack_tcp_loose 2>/dev/null || true',
  ];
}

/**
 * Each sync: the LB's config (services, nodes, checks), its addresses (one /32 per LB IP on lo),
 * base-chain jumps, and the checker started once; the checker picks the new config up within 1 s.
 */
export function renderLbSync(model: LabModel): string[] {
  const conf = lbConfig(model);
  const ips = [...new Set(conf.entries.map((e) => e.lbIP))];
  const ipt = iptablesBinary(model.cluster.iptablesBackend);
  return [
    ...writeFile(LB_CHECKER, LB_CHECKER_PY),
    `cat > ${LB_CONFIG}.tmp <<'K8S_NETLAB_LB_EOF'`,
    JSON.stringify(conf, null, 1),
    'K8S_NETLAB_LB_EOF',
    `mv ${LB_CONFIG}.tmp ${LB_CONFIG}`,
    ...ips.map((ip) => `ip addr replace ${ip}/32 dev lo`),
    // Declare the jump targets (empty until the first check round fills them).
    `${ipt} -w -t nat -N ${LB_SERVICES} 2>/dev/null || true`,
    `${ipt} -w -t filter -N ${LB_FIREWALL} 2>/dev/null || true`,
    ...restoreWithJumps(model.cluster.iptablesBackend, '/dev/null', [
      { table: 'nat', chain: 'PREROUTING', spec: `-j ${LB_SERVICES}` },
      { table: 'filter', chain: 'INPUT', spec: `-j ${LB_FIREWALL}` },
    ]).slice(1),
    startOnce(
      `${EDGE_DIR}/lb-healthcheck.pid`,
      `python3 ${LB_CHECKER} ${LB_CONFIG} ${LB_STATE} ${LB_RULES}`,
      `${EDGE_DIR}/lb-healthcheck.log`,
    ),
  ];
}
