/**
 * The pure half of the proxy benchmark (src/bench/proxy.ts): the scaled service set, the
 * one-endpoint change of an incremental sync, the in-pod connect client, the clean-up between
 * modes, and the table with the published reference next to it.
 */
import { programSource } from '../images/programs';
import type { LabModel, ServiceModel } from '../model/types';
import type { EndpointSlice } from '../proxy/endpoints';
import { formatIp, nthAddress, parseCidr } from '../net/ipv4';
import { mdTable, stats } from './report';

/** ClusterIPs start past the ones a cluster reserves (.1 kubernetes, .10 DNS). */
const FIRST_CLUSTER_IP = 16;

/** The i-th benchmark ClusterIP of the service CIDR. */
export function benchClusterIP(serviceCIDR: string, i: number): string {
  const c = parseCidr(serviceCIDR);
  const ip = c && nthAddress(c, FIRST_CLUSTER_IP + i);
  // the broadcast address is not a ClusterIP either
  if (ip === undefined || !c || FIRST_CLUSTER_IP + i >= 2 ** (32 - c.prefix) - 1) {
    throw new Error(`service CIDR ${serviceCIDR} has no room for ${i + 1} benchmark services`);
  }
  return formatIp(ip);
}

/** `n` copies of `template` (s0 .. s<n-1>, own ClusterIPs, same selector): all select the same pods. */
export function scaleServices(model: LabModel, template: ServiceModel, n: number): LabModel {
  const services: ServiceModel[] = [];
  for (let i = 0; i < n; i++) {
    services.push({ ...template, name: `s${i}`, clusterIP: benchClusterIP(model.cluster.serviceCIDR, i) });
  }
  return { ...model, services };
}

/** The slices with service `service` down to its first endpoint (or back, given the original). */
export function dropOneEndpoint(slices: EndpointSlice[], service: string): EndpointSlice[] {
  const hit = slices.find((s) => s.service === service);
  if (!hit || hit.endpoints.length < 2) throw new Error(`service ${service} needs two endpoints to lose one`);
  return slices.map((s) => (s === hit ? { ...s, endpoints: s.endpoints.slice(0, 1) } : s));
}

/** The connect client (images/bench/connect-client.py) in the pod's netns: `count` timed connects to the targets. */
export function connectArgv(netns: string, count: number, targets: string[]): string[] {
  return ['ip', 'netns', 'exec', netns, 'python3', '-c', programSource('connectClient'), String(count), ...targets];
}

/** Parses the client's output into milliseconds; throws unless exactly `count` samples came back. */
export function parseConnectTimes(stdout: string, count: number): number[] {
  const xs = stdout.trim().split(/\s+/).filter(Boolean).map(Number);
  if (xs.length !== count || xs.some((x) => !Number.isFinite(x) || x <= 0)) {
    throw new Error(`connect client: expected ${count} samples, got ${xs.length}: ${stdout.slice(0, 200)}`);
  }
  return xs.map((ns) => ns / 1e6);
}

/** Removes every mode's kube-proxy state from a node, so the next mode starts clean. */
export const PROXY_CLEANUP = [
  'nft delete table ip kube-proxy 2>/dev/null',
  ...['nft', 'legacy'].flatMap((b) =>
    ['nat', 'filter'].map((t) => `iptables-${b} -w -t ${t} -F 2>/dev/null; iptables-${b} -w -t ${t} -X 2>/dev/null`),
  ),
  'ipvsadm -C 2>/dev/null',
  'ip link del kube-ipvs0 2>/dev/null',
  'ipset destroy 2>/dev/null',
  'rm -f /run/k8s-netlab/proxy/*',
  'true',
].join('; ');

export interface ModeRow {
  mode: string;
  services: number;
  /** Set when the mode could not run (the table says why). */
  unavailable?: string;
  fullRenderMs?: number;
  fullApplyMs?: number;
  incRenderMs?: number;
  incApplyMs?: number;
  /** connect() times in ms to the last service's VIP, and straight to the pod IPs. */
  vip?: number[];
  direct?: number[];
}

const ms = (x: number | undefined, digits = 0) => (x === undefined ? '–' : x.toFixed(digits));
const s = (x: number | undefined) => (x === undefined ? '–' : (x / 1000).toFixed(2));

export function proxyTable(rows: ModeRow[]): string {
  const out = rows.map((r) => {
    if (r.unavailable)
      return [r.mode, r.services.toLocaleString('en-US'), `not available: ${r.unavailable}`, '', '', '', '', ''];
    const v = r.vip ? stats(r.vip) : undefined;
    const d = r.direct ? stats(r.direct) : undefined;
    return [
      r.mode,
      r.services.toLocaleString('en-US'),
      `${ms(r.fullRenderMs)} ms + ${s(r.fullApplyMs)} s`,
      `${ms(r.incRenderMs)} ms + ${ms(r.incApplyMs)} ms`,
      v ? v.p50.toFixed(3) : '–',
      v ? v.p99.toFixed(3) : '–',
      d ? d.p50.toFixed(3) : '–',
      d ? d.p99.toFixed(3) : '–',
    ];
  });
  return mdTable(
    [
      'mode',
      'services',
      'full sync: render + apply',
      'incremental sync: render + apply',
      'VIP connect p50 (ms)',
      'VIP p99 (ms)',
      'pod-IP connect p50 (ms)',
      'pod-IP p99 (ms)',
    ],
    out,
  );
}

/** KEP-3866's figure (first-packet round trip, ms), as published. */
export const KEP_3866 = [
  { mode: 'iptables', services: 5000, p50: 0.047, p99: 0.154 },
  { mode: 'iptables', services: 10000, p50: 0.059, p99: 0.26 },
  { mode: 'iptables', services: 30000, p50: 0.272, p99: 0.713 },
  { mode: 'nftables', services: 5000, p50: 0.012, p99: 0.035 },
  { mode: 'nftables', services: 10000, p50: 0.012, p99: 0.035 },
  { mode: 'nftables', services: 30000, p50: 0.012, p99: 0.035 },
];

export function referenceTable(): string {
  return mdTable(
    ['KEP-3866 (published)', 'services', 'p50 (ms)', 'p99 (ms)'],
    KEP_3866.map((r) => [r.mode, r.services.toLocaleString('en-US'), r.p50.toFixed(3), r.p99.toFixed(3)]),
  );
}

/** VIP p50 minus the no-rules pod-IP p50: what the proxy adds, for one mode at one size. */
function overhead(rows: ModeRow[], mode: string, n: number, baselineP50: number): number | undefined {
  const r = rows.find((x) => x.mode === mode && x.services === n && x.vip);
  return r ? stats(r.vip!).p50 - baselineP50 : undefined;
}

/**
 * Whether the lab shows the published shape: iptables' first-packet cost grows with the number
 * of services, nftables' stays flat. Judged on the VIP p50 minus the no-service baseline p50,
 * smallest vs largest size; "grows" means up by more than `grow` ms, "flat" within it.
 */
export function shapeSentence(
  rows: ModeRow[],
  iptablesMode: string,
  nftMode: string,
  baselineP50: number,
  grow = 0.01,
): string {
  const sizes = [...new Set(rows.filter((r) => r.vip).map((r) => r.services))].sort((a, b) => a - b);
  if (sizes.length < 2) return 'Too few sizes measured to judge the shape.';
  const [lo, hi] = [sizes[0], sizes[sizes.length - 1]];
  const [i0, i1, n0, n1] = [iptablesMode, iptablesMode, nftMode, nftMode].map((m, k) =>
    overhead(rows, m, k % 2 ? hi : lo, baselineP50),
  );
  if ([i0, i1, n0, n1].some((x) => x === undefined))
    return 'Not every mode was measured at both ends, so the shape cannot be judged.';
  const f = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)} ms`;
  const iptGrows = i1! - i0! > grow;
  const nftFlat = Math.abs(n1! - n0!) <= grow;
  const verdict =
    iptGrows && nftFlat
      ? 'The lab reproduces the published shape'
      : iptGrows || nftFlat
        ? 'The lab reproduces the shape only in part'
        : 'The lab does not reproduce the published shape';
  return (
    `${verdict}: over the no-service baseline, the p50 connect to the last service costs ${f(i0!)} at ` +
    `${lo.toLocaleString('en-US')} services and ${f(i1!)} at ${hi.toLocaleString('en-US')} with ${iptablesMode}, ` +
    `${f(n0!)} and ${f(n1!)} with ${nftMode} (growth threshold ${grow} ms).`
  );
}
