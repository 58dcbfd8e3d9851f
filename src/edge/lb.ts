/**
 * The cloud load balancer: a container holding every LoadBalancer IP, which DNATs each new
 * connection to <node IP>:<nodePort> of one healthy node (keeping the client's address, as a
 * pass-through network load balancer does), spread with `-m statistic`. A health checker in the
 * container probes every node each second (HTTP GET <node>:<healthCheckNodePort>/healthz for
 * externalTrafficPolicy Local; a TCP connect to the NodePort for Cluster) and rewrites the DNAT
 * chains with one iptables-restore when the healthy set changes. The rules are rendered here as
 * data (lbEntryRules); the checker (images/lb/checker.py) picks the healthy targets' rules. loadBalancerSourceRanges are
 * enforced here, as the cloud's firewall does.
 */
import { createHash } from 'crypto';
import type { LabModel } from '../model/types';
import { iptablesBinary, iptablesRestoreBinary } from '../proxy/iptables-bootstrap';
import { base32 } from '../proxy/hash';
import { q, waitUntil, writeFileLines } from '../plan/shell';
import { programSource } from '../images/programs';
import { EDGE_DIR, restoreWithJumps, rpFilterOff, startOnce } from './common';

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
  /** This entry's rules, rendered here; the checker only picks the healthy targets' DNAT rules. */
  rules: LbEntryRules;
}

/** One entry's iptables-restore lines, as data for the checker (images/lb/checker.py). */
export interface LbEntryRules {
  /** nat lines loaded whatever the health: the LB IP's jump, the source-range chain. */
  nat: string[];
  /** filter lines (LB-FIREWALL): the source ranges' RETURN and the DROP of the rest. */
  filter: string[];
  /**
   * One DNAT rule per target, split where the checker inserts kube-proxy's `-m statistic`
   * (every healthy target but the last): `${head}${statistic} ${tail}`.
   */
  dnat: Array<{ node: string; head: string; tail: string }>;
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
  /** Chains the checker declares in every load (nat) and the filter chain it fills. */
  rules: { natChains: string[]; filterChain: string };
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
      const entry = {
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
      };
      entries.push({ ...entry, rules: lbEntryRules(entry) });
    }
  }
  const natChains = [LB_SERVICES, ...entries.flatMap((e) => [e.svcChain, ...(e.fwChain ? [e.fwChain] : [])])];
  return {
    restore: iptablesRestoreBinary(model.cluster.iptablesBackend),
    // GCE's node health check for Services (created by the service controller: port 10256 or the
    // healthCheckNodePort, /healthz) times out after 1 s and checks every 8 s with unhealthy
    // threshold 3; the lab keeps the 1 s time-out and compresses the rest (every 1 s, down after 2)
    // so a demo sees the drop in seconds. A 0.5 s time-out dropped healthy nodes on a loaded machine.
    intervalSeconds: 1,
    timeoutSeconds: 1,
    rise: 1,
    fall: 2,
    entries,
    rules: { natChains, filterChain: LB_FIREWALL },
  };
}

/** The entry's rules: the LB IP's jump, source ranges (nat and filter), and one DNAT per target. */
export function lbEntryRules(e: Omit<LbEntry, 'rules'>): LbEntryRules {
  const m = `-p ${e.protocol} -m ${e.protocol} --dport ${e.port}`;
  const nat = [
    `-A ${LB_SERVICES} -d ${e.lbIP}/32 ${m} -m comment --comment "${e.name} loadbalancer IP" -j ${e.fwChain ?? e.svcChain}`,
  ];
  const filter: string[] = [];
  if (e.fwChain) {
    for (const r of e.sourceRanges) {
      nat.push(`-A ${e.fwChain} -s ${r} -m comment --comment "${e.name} loadBalancerSourceRanges" -j ${e.svcChain}`);
      filter.push(`-A ${LB_FIREWALL} -s ${r} -d ${e.lbIP}/32 ${m} -j RETURN`);
    }
    filter.push(
      `-A ${LB_FIREWALL} -d ${e.lbIP}/32 ${m} -m comment --comment "${e.name} source not in loadBalancerSourceRanges" -j DROP`,
    );
  }
  const dnat = e.targets.map((t) => ({
    node: t.node,
    head: `-A ${e.svcChain} -m comment --comment "${e.name} -> ${t.node} ${t.ip}:${t.port}"`,
    tail: `-p ${e.protocol} -j DNAT --to-destination ${t.ip}:${t.port}`,
  }));
  return { nat, filter, dnat };
}

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
    ...writeFileLines(LB_CHECKER, programSource('lbChecker'), { mkdir: true }),
    ...writeFileLines(LB_CONFIG, JSON.stringify(conf, null, 1), { atomic: true }),
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

/** How long `lab up` waits for the load balancer's first health round after the proxy sync. */
export const LB_FRESH_ROUND_SEC = 10;

/**
 * Run in the LB container once the nodes' health servers and NodePort rules exist (after `lab up`'s
 * proxy sync): touch the checker's config so its next round starts at once, and wait for a round
 * that began after that (its state's "started"). A round begun earlier may have checked nodes
 * whose health servers were not up yet, and marked them down until the next round: a verify run
 * right after `up` then saw only some nodes behind the LB. Prints `fresh`, or `stale` when no such
 * round came within the bound (`up` says so; the LB path's probe waits on its own).
 */
export function renderLbFreshRound({
  config = LB_CONFIG,
  state = LB_STATE,
  timeoutSec = LB_FRESH_ROUND_SEC,
} = {}): string[] {
  const fresh = `awk -v t="$_kick" '$1 == "\\"started\\":" { s = $2; sub(/,$/, "", s); if (s + 0 >= t + 0) f = 1 } END { exit !f }' ${state} 2>/dev/null`;
  return [
    `touch ${config}`,
    '_kick=$(date +%s.%N)',
    waitUntil(fresh, { what: 'a load-balancer health round after the proxy sync', timeoutSec, then: 'continue' }),
    `if ${fresh}; then echo fresh; else echo stale; fi`,
  ];
}
