/**
 * The kubelet's prober as shell (pkg/kubelet/prober, Kubernetes v1.31): httpGet and tcpSocket are
 * made from the node (the kubelet's network namespace) to the pod IP, exec runs the command inside
 * the pod; each is cut off after timeoutSeconds. One line of output per probe run:
 *   PROBE <netns> <container> <kind> <1|0> <detail>
 * Pure: the lab's kubelet (src/lab/prober.ts, src/lab/kubelet.ts) runs and parses it.
 */
import type { PodContainer, PodModel } from '../model/types';
import type { ProbeKind, ProbeSpec } from '../model/probe';
import { RUN_DIR } from './node';
import { q, waitUntil } from './shell';
import { DROP_SYS_ADMIN } from './security';
import { podEnter } from './pod-identity';

/** kubelet's User-Agent for HTTP probes: kube-probe/<major>.<minor>. */
export const PROBE_USER_AGENT = 'kube-probe/1.31';

/** Shell that sets $ok (1 success, 0 failure) and $why for one run of `spec`. */
export function renderProbeCheck(pod: PodModel, spec: ProbeSpec): string {
  const t = spec.timeoutSeconds;
  const h = spec.handler;
  if ('httpGet' in h) {
    const g = h.httpGet;
    const host = g.host ?? pod.ip;
    const url = `${g.scheme.toLowerCase()}://${host}:${g.port}${g.path}`;
    const headers = [`User-Agent: ${PROBE_USER_AGENT}`, 'Accept: */*', ...g.headers.map((x) => `${x.name}: ${x.value}`)]
      .map((x) => `-H ${q(x)}`)
      .join(' ');
    // 200 <= code < 400 is success (pkg/probe/http); redirects are not followed here.
    return (
      `code=$(curl -s -o /dev/null -w '%{http_code}' -m ${t} ${g.scheme === 'HTTPS' ? '-k ' : ''}${headers} ${q(url)}); rc=$?; ` +
      `if [ $rc -eq 0 ] && [ "$code" -ge 200 ] && [ "$code" -lt 400 ]; then ok=1; else ok=0; fi; ` +
      `if [ $rc -eq 0 ]; then why="HTTP-$code"; else why="curl-exit-$rc"; fi`
    );
  }
  if ('tcpSocket' in h) {
    const host = h.tcpSocket.host ?? pod.ip;
    return `if timeout ${t} bash -c ${q(`exec 3<>/dev/tcp/${host}/${h.tcpSocket.port}`)} 2>/dev/null; then ok=1; why=connected; else rc=$?; ok=0; why="connect-failed-$rc"; fi`;
  }
  const cmd = h.exec.command.map(q).join(' ');
  // In the pod's UTS and network namespaces, without the node's SYS_ADMIN, as every pod process.
  // exit 124: timeout cut it off after timeoutSeconds (kubelet's ExecProbeTimeout, GA in v1.20)
  return `timeout ${t} ${podEnter(pod).map(q).join(' ')} ${DROP_SYS_ADMIN.join(' ')} ${cmd} >/dev/null 2>&1; rc=$?; if [ $rc -eq 0 ]; then ok=1; else ok=0; fi; why="exit-$rc"`;
}

/** One probe run, reported as a PROBE line. */
export function renderProbe(pod: PodModel, c: PodContainer, kind: ProbeKind, spec: ProbeSpec): string {
  return `${renderProbeCheck(pod, spec)}; echo PROBE ${q(pod.netns)} ${q(c.name)} ${kind} $ok "$why"`;
}

export interface ProbeRun {
  netns: string;
  container: string;
  kind: ProbeKind;
  ok: boolean;
  detail: string;
}

export function parseProbeRuns(out: string): ProbeRun[] {
  const runs: ProbeRun[] = [];
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'PROBE' || f.length < 5) continue;
    if (!['startup', 'liveness', 'readiness'].includes(f[3]) || !['0', '1'].includes(f[4])) continue;
    runs.push({
      netns: f[1],
      container: f[2],
      kind: f[3] as ProbeKind,
      ok: f[4] === '1',
      detail: f.slice(5).join(' '),
    });
  }
  return runs;
}

/**
 * Single-shot readiness for commands that observe once (lab up, scale, apply, status): the
 * startup probe (if any) must pass, then the readiness probe; sets $r to 1 or 0. The periodic,
 * threshold-counting kubelet is `lab watch` (src/lab/prober.ts).
 */
export function renderReadyOnce(pod: PodModel, c: PodContainer): string | undefined {
  const p = c.probes;
  if (!p?.readiness && !p?.startup) return undefined;
  const steps = [p.startup, p.readiness].filter((s): s is ProbeSpec => !!s).map((s) => renderProbeCheck(pod, s));
  return `r=1; ${steps.map((s) => `if [ $r -eq 1 ]; then ${s}; r=$ok; fi`).join('; ')}`;
}

/** Stops a container's process so the kubelet's restart starts it again (liveness failure). */
export function renderContainerKill(pod: PodModel, c: PodContainer): string {
  const pid = q(`${RUN_DIR}/pods/${pod.netns}/${c.name}.pid`);
  // Runs under `set -e`: every kill may find the process gone already.
  return `if [ -e ${pid} ]; then p=$(cat ${pid}); kill $p 2>/dev/null || true; ${waitUntil('! kill -0 $p 2>/dev/null', { what: `${c.name} stopped`, timeoutSec: 3, then: 'continue' })}; kill -9 $p 2>/dev/null || true; fi`;
}
