/**
 * kube-proxy's UDP conntrack clean-up, run after every sync in every mode (pkg/proxy/conntrack
 * CleanStaleEntries, kubernetes v1.32+; docs/reference/kube-proxy-conntrack.md).
 *
 * A UDP "connection" lives as long as packets keep coming: a client socket that keeps sending to a
 * Service stays DNAT'd to the endpoint its first packet picked, even after that endpoint is gone,
 * because the rules are only consulted for new flows. So each sync lists the node's UDP entries
 * and deletes those whose original destination is a Service IP (ClusterIP, external IP,
 * load-balancer IP) or a NodePort and whose reply source is not a serving endpoint of that Service.
 * That also covers a Service that gains its first endpoint (entries made while it had none reply
 * from the VIP itself, which is not an endpoint), which older kube-proxy handled separately.
 *
 * Pure: renders one shell pipeline (conntrack -L | awk | conntrack -D) for the node to run.
 */
import type { LabModel } from '../model/types';
import type { EndpointSlice } from './endpoints';
import { type ProxyOptions, servicePortInfos } from './service-ports';

export interface UdpServing {
  /** Service IP -> serving endpoint IPs (union over the Service's UDP ports on that IP). */
  ips: Record<string, string[]>;
  /** NodePort -> serving endpoint IPs. */
  nodePorts: Record<number, string[]>;
}

/** What may legitimately answer each UDP Service address: every ready endpoint, cluster-wide. */
export function udpServing(
  model: LabModel,
  nodeName: string,
  slices: EndpointSlice[],
  opts: ProxyOptions = {},
): UdpServing {
  const ips: Record<string, Set<string>> = {};
  const nodePorts: Record<number, Set<string>> = {};
  for (const info of servicePortInfos(model, nodeName, slices, opts)) {
    if (info.protocol !== 'udp') continue;
    // Traffic policies are deliberately ignored, as upstream does: a policy change must not cut
    // existing flows (they are not for TCP either).
    const eps = allReady(slices, info.svc.namespace, info.svc.name, info.port.name ?? '');
    for (const ip of [info.clusterIP, ...info.externalIPs, ...info.loadBalancerIPs]) {
      ips[ip] ??= new Set();
      for (const e of eps) ips[ip].add(e);
    }
    if (info.nodePort) {
      nodePorts[info.nodePort] ??= new Set();
      for (const e of eps) nodePorts[info.nodePort].add(e);
    }
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return {
    ips: Object.fromEntries(Object.entries(ips).map(([k, v]) => [k, sorted(v)])),
    nodePorts: Object.fromEntries(Object.entries(nodePorts).map(([k, v]) => [Number(k), sorted(v)])),
  };
}

function allReady(slices: EndpointSlice[], ns: string, svc: string, portName: string): string[] {
  return slices
    .filter((s) => s.namespace === ns && s.service === svc && s.portName === portName && s.protocol === 'UDP')
    .flatMap((s) => s.endpoints.filter((e) => e.ready).map((e) => e.ip));
}

/**
 * awk program: reads `conntrack -L -p udp` lines and prints one `conntrack -D` per stale entry
 * (the first dst= / dport= are the original direction, the second src= is the reply source).
 */
export function staleUdpAwk(s: UdpServing): string {
  const lines = ['BEGIN {'];
  for (const [ip, eps] of Object.entries(s.ips)) lines.push(`  ip["${ip}"] = " ${eps.join(' ')} "`);
  for (const [port, eps] of Object.entries(s.nodePorts)) lines.push(`  np["${port}"] = " ${eps.join(' ')} "`);
  lines.push(
    '}',
    '{',
    '  od = ""; odp = ""; rs = ""; ns = 0; nd = 0; np_ = 0',
    '  for (i = 1; i <= NF; i++) {',
    '    k = $i; sub(/=.*/, "", k); v = $i; sub(/^[^=]*=/, "", v)',
    '    if (k == "src") { ns++; if (ns == 2) rs = v }',
    '    else if (k == "dst") { nd++; if (nd == 1) od = v }',
    '    else if (k == "dport") { np_++; if (np_ == 1) odp = v }',
    '  }',
    '  if (rs == "") next',
    '  if ((od in ip) && index(ip[od], " " rs " ") == 0) print "conntrack -D -p udp --orig-dst " od " --reply-src " rs',
    '  if ((odp in np) && index(np[odp], " " rs " ") == 0) print "conntrack -D -p udp --orig-port-dst " odp " --reply-src " rs',
    '}',
  );
  return lines.join('\n');
}

/** A UDP Service address set, kept in the proxy state so the next sync knows what was deleted. */
export interface UdpAddresses {
  ips: string[];
  nodePorts: number[];
}

export function udpAddresses(s: UdpServing): UdpAddresses {
  return {
    ips: Object.keys(s.ips).sort(),
    nodePorts: Object.keys(s.nodePorts)
      .map(Number)
      .sort((a, b) => a - b),
  };
}

/**
 * Addresses of UDP Services deleted since `prev` join with no serving endpoint, so their flows go
 * too (kubernetes PR #141371); an address now used by another Service keeps that one's set.
 */
export function withDeleted(s: UdpServing, prev: UdpAddresses | undefined): UdpServing {
  if (!prev) return s;
  const ips = { ...s.ips };
  const nodePorts = { ...s.nodePorts };
  for (const ip of prev.ips) ips[ip] ??= [];
  for (const p of prev.nodePorts) nodePorts[p] ??= [];
  return { ips, nodePorts };
}

/** Shell lines for the node; none when there is no UDP Service address to look after. */
export function renderUdpConntrackCleanup(s: UdpServing): string[] {
  if (Object.keys(s.ips).length === 0 && Object.keys(s.nodePorts).length === 0) return [];
  // conntrack -D exits 1 when the entry expired meanwhile: not an error here.
  return [
    `conntrack -L -p udp 2>/dev/null | awk '${staleUdpAwk(s).replace(/'/g, `'\\''`)}' | sort -u | while read -r cmd; do $cmd >/dev/null 2>&1 || true; done`,
  ];
}
