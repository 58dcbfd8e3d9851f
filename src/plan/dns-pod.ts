/**
 * The offline cluster DNS pod (PodContainer kind 'dns'): knotd, authoritative for the rendered
 * cluster and reverse zones on 127.0.0.1:5353, and unbound on :53 in front of it (pods' queries
 * arrive DNAT'd from the kube-dns VIP), both processes in the pod's network namespace inside the
 * node, like netexec. Its files live in the pod's run directory, so deleting the pod removes them.
 * Pure: scripts and file texts only.
 */
import { podEnter } from './pod-identity';
import type { LabModel, PodContainer, PodModel } from '../model/types';
import type { EndpointSlice } from '../proxy/endpoints';
import { ZoneFile, knotReloadArgv, renderKnotConf, renderUnboundConf, zoneFiles } from '../dns/config';
import { fqdn } from '../dns/records';
import { renderReverseZones } from '../dns/reverse';
import { renderClusterZone } from '../dns/zone';
import { LOG_DIR, RUN_DIR } from './node';
import { q, WAIT_TIMEOUT_SEC, waitUntil, writeFileLines } from './shell';
import { isCoreDnsPod } from '../topology/dns-server';
import { DROP_SYS_ADMIN } from './security';

/** Directory of a DNS pod's configs, zones and knot state (in the node container). */
export function dnsDir(pod: Pick<PodModel, 'netns'>): string {
  return `${RUN_DIR}/pods/${pod.netns}/dns`;
}

/** A cluster DNS pod: the offline server (kind 'dns') or a CoreDNS container pod (src/plan/coredns-pod.ts). */
export function isDnsPod(pod: PodModel): boolean {
  return pod.containers.some((c) => c.kind === 'dns') || isCoreDnsPod(pod);
}

/** Zone origins every DNS pod serves: the cluster domain, then the reverse zones. */
export function dnsOrigins(model: LabModel): string[] {
  return [fqdn(model.cluster.domain), ...renderReverseZones(model, [], { serial: 1 }).map((z) => z.origin)];
}

export function dnsZoneFiles(model: LabModel, pod: Pick<PodModel, 'netns'>): ZoneFile[] {
  return zoneFiles(`${dnsDir(pod)}/zones`, dnsOrigins(model));
}

/**
 * unbound.conf for the pod. With an Internet DNS server in the lab (model.internetDns), names
 * outside the cluster zones are forwarded there; without one they are refused at once
 * (`local-zone "." refuse`, the cluster zones marked transparent so they still reach knot):
 * nothing is ever forwarded off the machine.
 */
export function renderPodUnboundConf(model: LabModel, pod: Pick<PodModel, 'netns'>): string {
  const zones = dnsZoneFiles(model, pod);
  if (model.internetDns) return renderUnboundConf({ zones, upstream: [model.internetDns] });
  // renderUnboundConf needs an upstream: render with a placeholder, then drop its forward-zone.
  const text = renderUnboundConf({ zones, upstream: ['127.0.0.1:9'] });
  const cut = text.indexOf('\nforward-zone:');
  const head = cut >= 0 ? text.slice(0, cut + 1) : text;
  const serverEnd = head.indexOf('\nstub-zone:');
  const extra = [
    '    # No Internet DNS server in this lab: refuse names outside the cluster zones.',
    '    local-zone: "." refuse',
  ];
  for (const z of zones)
    if (!z.origin.endsWith('in-addr.arpa.')) extra.push(`    local-zone: "${z.origin}" transparent`);
  return serverEnd >= 0
    ? `${head.slice(0, serverEnd)}\n${extra.join('\n')}\n${head.slice(serverEnd + 1)}`
    : `${head}${extra.join('\n')}\n`;
}

export function renderPodKnotConf(model: LabModel, pod: Pick<PodModel, 'netns'>): string {
  const dir = dnsDir(pod);
  return renderKnotConf({ zones: dnsZoneFiles(model, pod), rundir: `${dir}/run`, storage: `${dir}/db` });
}

/** A serial placeholder the sync script replaces with one greater than the served one. */
export const SERIAL_TOKEN = 4294967295;

/** Zone texts of the pod (serial left as SERIAL_TOKEN), keyed by path. */
export function renderDnsZones(
  model: LabModel,
  pod: Pick<PodModel, 'netns'>,
  endpoints: EndpointSlice[],
): Record<string, string> {
  const files = dnsZoneFiles(model, pod);
  const out: Record<string, string> = {};
  out[files[0].path] = renderClusterZone(model, endpoints, { serial: SERIAL_TOKEN });
  const rev = renderReverseZones(model, endpoints, { serial: SERIAL_TOKEN });
  for (const f of files.slice(1)) {
    const z = rev.find((r) => r.origin === f.origin);
    if (z) out[f.path] = z.text;
  }
  return out;
}

function pidFile(pod: PodModel, c: PodContainer, proc: 'knotd' | 'unbound'): string {
  // unbound's pid file is the container's own (what the kubelet part watches for every kind).
  return proc === 'unbound'
    ? `${RUN_DIR}/pods/${pod.netns}/${c.name}.pid`
    : `${RUN_DIR}/pods/${pod.netns}/${c.name}.knotd.pid`;
}

function startLine(pod: PodModel, c: PodContainer, proc: 'knotd' | 'unbound'): string[] {
  const dir = dnsDir(pod);
  const log = `${LOG_DIR}/pods/${pod.netns}_${c.name}.${proc}.log`;
  const argv = proc === 'knotd' ? ['knotd', '-c', `${dir}/knot.conf`] : ['unbound', '-d', '-c', `${dir}/unbound.conf`];
  return [
    `setsid ${podEnter(pod).map(q).join(' ')} ${[...DROP_SYS_ADMIN, ...argv].map(q).join(' ')} >> ${q(log)} 2>&1 < /dev/null &`,
    `echo $! > ${q(pidFile(pod, c, proc))}`,
  ];
}

function aliveTest(pod: PodModel, c: PodContainer, proc: 'knotd' | 'unbound'): string {
  const f = q(pidFile(pod, c, proc));
  return `{ [ -e ${f} ] && kill -0 $(cat ${f}) 2>/dev/null; }`;
}

/**
 * Starts whichever of the two servers is not running (both on a fresh pod), so the same lines
 * serve the first start and the kubelet's restart of a dead container.
 */
export function renderDnsStart(pod: PodModel, c: PodContainer): string[] {
  const dir = dnsDir(pod);
  return [
    `mkdir -p ${q(`${dir}/run`)} ${q(`${dir}/db`)} ${q(`${dir}/zones`)} ${LOG_DIR}/pods`,
    `if ! ${aliveTest(pod, c, 'knotd')}; then ${startLine(pod, c, 'knotd').join(' ')}; fi`,
    `if ! ${aliveTest(pod, c, 'unbound')}; then ${startLine(pod, c, 'unbound').join(' ')}; fi`,
  ];
}

/** Shell test: both servers alive. */
export function renderDnsAlive(pod: PodModel, c: PodContainer): string {
  return `${aliveTest(pod, c, 'knotd')} && ${aliveTest(pod, c, 'unbound')}`;
}

/** Shell test: knot answers its control socket and unbound answers on the pod's port 53 (readiness). */
export function renderDnsReady(pod: PodModel): string {
  const dir = dnsDir(pod);
  return (
    `knotc -s ${q(`${dir}/run/knot.sock`)} -t 1 status >/dev/null 2>&1 && ` +
    `ip netns exec ${q(pod.netns)} dig @${pod.ip} -p 53 +time=1 +tries=1 localhost A >/dev/null 2>&1`
  );
}

/** Waits until the DNS pod is ready. */
export function renderDnsWaitReady(pod: PodModel, timeoutSec = WAIT_TIMEOUT_SEC): string[] {
  return [
    waitUntil(renderDnsReady(pod), {
      what: `pod ${pod.name}: DNS server not ready`,
      timeoutSec,
      onTimeout: `tail -n 5 ${LOG_DIR}/pods/${pod.netns}_*.log >&2`,
    }),
  ];
}

export interface DnsSyncOptions {
  /** Candidate serial (e.g. from the clock); the script uses max(candidate, served + 1). */
  serial: number;
  /** Restart unbound when its config changed (the Internet DNS server appeared). Default true. */
  restartOnConfigChange?: boolean;
}

/**
 * One DNS pod's sync: configs and zones written (under a lock, so concurrent commands do not
 * interleave), the serial set above the served one, and knot told to reload (`-b` waits until the
 * zones are loaded). Prints `serial=<n>` so the caller knows what is served.
 */
export function renderDnsSync(
  model: LabModel,
  pod: PodModel,
  c: PodContainer,
  endpoints: EndpointSlice[],
  opts: DnsSyncOptions,
): string {
  const dir = dnsDir(pod);
  const zones = renderDnsZones(model, pod, endpoints);
  const files = dnsZoneFiles(model, pod);
  const lines = [
    'set -eu',
    `mkdir -p ${q(`${dir}/run`)} ${q(`${dir}/db`)} ${q(`${dir}/zones`)} ${q(`${dir}/new`)}`,
    `exec 9> ${q(`${dir}/lock`)}`,
    'flock 9',
  ];
  lines.push(...writeFileLines(`${dir}/new/knot.conf`, renderPodKnotConf(model, pod), { tag: 'K8S_NETLAB_KNOT' }));
  lines.push(
    ...writeFileLines(`${dir}/new/unbound.conf`, renderPodUnboundConf(model, pod), { tag: 'K8S_NETLAB_UNBOUND' }),
  );
  let i = 0;
  for (const [path, text] of Object.entries(zones))
    lines.push(...writeFileLines(`${path}.new`, text, { tag: `K8S_NETLAB_ZONE_${i++}` }));
  lines.push(
    ...renderSerialSwap(dir, Object.keys(zones), opts.serial),
    `cmp -s ${q(`${dir}/new/knot.conf`)} ${q(`${dir}/knot.conf`)} || mv ${q(`${dir}/new/knot.conf`)} ${q(`${dir}/knot.conf`)}`,
    'uchanged=0',
    `if ! cmp -s ${q(`${dir}/new/unbound.conf`)} ${q(`${dir}/unbound.conf`)}; then mv ${q(`${dir}/new/unbound.conf`)} ${q(`${dir}/unbound.conf`)}; uchanged=1; fi`,
  );
  const sock = `${dir}/run/knot.sock`;
  // A knot that is not (yet) running loads the new files when it starts.
  lines.push(
    `if [ -S ${q(sock)} ]; then ${knotReloadArgv(files, sock).map(q).join(' ')} >/dev/null || echo "knot reload failed" >&2; fi`,
  );
  if (opts.restartOnConfigChange ?? true) {
    const f = q(pidFile(pod, c, 'unbound'));
    lines.push(
      `if [ $uchanged = 1 ] && [ -e ${f} ] && kill -0 $(cat ${f}) 2>/dev/null; then kill $(cat ${f}); sleep 0.2; ${startLine(pod, c, 'unbound').join(' ')}; fi`,
    );
  }
  lines.push('echo "serial=$s"');
  return lines.join('\n') + '\n';
}

/**
 * Lines that pick the serial (max(candidate, served + 1), served = `<dir>/serial`), put it into each
 * `<zone>.new` in place of SERIAL_TOKEN, move the zones into place and record the serial in `$s`
 * and `<dir>/serial`. Shared by the offline pods and the CoreDNS pods' copies (src/plan/coredns-pod.ts).
 */
export function renderSerialSwap(dir: string, zonePaths: string[], candidate: number): string[] {
  return [
    `prev=$(cat ${q(`${dir}/serial`)} 2>/dev/null || echo 0)`,
    `s=${candidate}`,
    'if [ "$s" -le "$prev" ]; then s=$((prev + 1)); fi',
    // RFC 1982 wrap is not needed: serials start from the clock in 100 ms units since 2025.
    ...zonePaths.map(
      (p) =>
        `sed -i 's/ ${SERIAL_TOKEN} 7200 1800 86400 / '"$s"' 7200 1800 86400 /' ${q(`${p}.new`)} && mv ${q(`${p}.new`)} ${q(p)}`,
    ),
    'echo "$s" > ' + q(`${dir}/serial`),
  ];
}

/** The same substitution in TypeScript: the zone text with `serial` in place of SERIAL_TOKEN (sed's first match per line). */
export function applySerial(text: string, serial: number): string {
  return text
    .split('\n')
    .map((l) => l.replace(` ${SERIAL_TOKEN} 7200 1800 86400 `, ` ${serial} 7200 1800 86400 `))
    .join('\n');
}

/** Serial candidate from the clock: 100 ms units since 2025-01-01 (fits 32 bits until 2038). */
export function clockSerial(now = Date.now()): number {
  return Math.max(1, Math.floor((now - Date.UTC(2025, 0, 1)) / 100) >>> 0);
}
