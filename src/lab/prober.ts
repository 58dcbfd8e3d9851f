/**
 * The kubelet's probe workers for `lab watch` (pkg/kubelet/prober/worker.go, v1.31), as a pure
 * state machine: each container's probes run every periodSeconds once initialDelaySeconds have
 * passed since the container started; a result flips after successThreshold consecutive
 * successes or failureThreshold consecutive failures. Until the startup probe has succeeded the
 * other two do not run and the container is not ready; readiness starts as failure, liveness as
 * success; failureThreshold liveness (or startup) failures restart the container, which starts
 * its probes over. A container the watch finds running counts as started long ago (its initial
 * delay is over, as after a kubelet restart); one the watch restarts starts then.
 */
import type { ContainerProbes, ProbeKind } from '../model/probe';

export interface ProbeCounter {
  lastRun?: number;
  successes: number;
  failures: number;
  /** The worker's current result (readiness starts false, liveness and startup undefined). */
  result?: boolean;
  lastDetail?: string;
}

export interface ContainerProbeState {
  startedAt: number;
  startupDone: boolean;
  counters: Partial<Record<ProbeKind, ProbeCounter>>;
}

export function newProbeState(probes: ContainerProbes, now: number): ContainerProbeState {
  return { startedAt: now, startupDone: !probes.startup, counters: {} };
}

/** Which probes are due at `now` (ms). */
export function dueProbes(probes: ContainerProbes, st: ContainerProbeState, now: number): ProbeKind[] {
  const kinds: ProbeKind[] = st.startupDone
    ? (['liveness', 'readiness'] as ProbeKind[]).filter((k) => probes[k])
    : ['startup'];
  return kinds.filter((k) => {
    const spec = probes[k]!;
    if (now < st.startedAt + spec.initialDelaySeconds * 1000) return false;
    const last = st.counters[k]?.lastRun;
    return last === undefined || now - last >= spec.periodSeconds * 1000;
  });
}

export type ProbeAction = { restart: string } | undefined;

/** Records one result; returns a restart (with why) when liveness or startup gave up. */
export function recordProbe(
  probes: ContainerProbes,
  st: ContainerProbeState,
  kind: ProbeKind,
  ok: boolean,
  detail: string,
  now: number,
): ProbeAction {
  const spec = probes[kind]!;
  const c = (st.counters[kind] ??= { successes: 0, failures: 0, ...(kind === 'readiness' ? { result: false } : {}) });
  c.lastRun = now;
  c.lastDetail = detail;
  if (ok) {
    c.successes++;
    c.failures = 0;
    if (c.successes >= spec.successThreshold) c.result = true;
  } else {
    c.failures++;
    c.successes = 0;
    if (c.failures >= spec.failureThreshold) c.result = false;
  }
  if (kind === 'startup' && c.result === true) st.startupDone = true;
  if ((kind === 'liveness' || kind === 'startup') && c.result === false) {
    return { restart: `${kind} probe failed ${c.failures} times (${detail})` };
  }
  return undefined;
}

/** Readiness as the kubelet reports it; undefined when the container has no readiness or startup probe. */
export function probeReady(probes: ContainerProbes, st: ContainerProbeState): boolean | undefined {
  if (!probes.readiness && !probes.startup) return undefined;
  if (!st.startupDone) return false;
  if (!probes.readiness) return true;
  return st.counters.readiness?.result === true;
}
