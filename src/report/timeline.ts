/**
 * The convergence timeline: what `lab watch` saw happen, as events with a time, printed relative
 * to the fault (`lab watch --timeline`) or as JSON lines (`--json`). Pure.
 */
export type WatchEventKind =
  | 'fault-injected'
  | 'fault-cleared'
  | 'heartbeat-missed'
  | 'node-not-ready'
  | 'node-ready'
  | 'endpoint-not-ready'
  | 'endpoint-ready'
  | 'rules-synced'
  | 'container-restarted'
  | 'back-off'
  | 'lb-backend-dropped'
  | 'lb-backend-restored'
  | 'pod-evicted'
  | 'pod-rescheduled'
  | 'node-repaired';

export interface WatchEvent {
  kind: WatchEventKind;
  /** ms since epoch */
  at: number;
  node?: string;
  detail: string;
}

/** `+4.21s  node-not-ready     node2  no heartbeat for ...`, relative to `t0` (the fault). */
export function renderTimelineLine(e: WatchEvent, t0: number): string {
  const dt = (e.at - t0) / 1000;
  const rel = `${dt < 0 ? '-' : '+'}${Math.abs(dt).toFixed(2)}s`;
  return `${rel.padStart(9)}  ${e.kind.padEnd(19)} ${(e.node ?? '-').padEnd(8)} ${e.detail}`;
}

/** One JSON line per event, with the time relative to `t0` in ms. */
export function renderEventJson(e: WatchEvent, t0: number | undefined): string {
  return JSON.stringify({
    ...e,
    time: new Date(e.at).toISOString(),
    ...(t0 !== undefined ? { sinceFaultMs: e.at - t0 } : {}),
  });
}

interface FaultLike {
  id: string;
  kind: string;
  target: string;
  peer?: string;
  injectedAt: string;
  clearedAt?: string;
}

/** Kinds whose target is a node (the others target pods: pod-kill, pod-unready, dns-down). */
const NODE_TARGET = /^(node-|partition|link-|proxy-stuck|lb-backend-down)/;

/** Fault events not yet seen (`seen` holds `id:injected` / `id:cleared` and is updated). */
export function faultEvents(store: { active: FaultLike[]; cleared: FaultLike[] }, seen: Set<string>): WatchEvent[] {
  const out: WatchEvent[] = [];
  const name = (f: FaultLike) => `${f.id} ${f.kind} ${f.target}${f.peer ? ` | ${f.peer}` : ''}`;
  for (const f of [...store.active, ...store.cleared]) {
    if (!seen.has(`${f.id}:injected`)) {
      seen.add(`${f.id}:injected`);
      out.push({
        kind: 'fault-injected',
        at: Date.parse(f.injectedAt),
        node: NODE_TARGET.test(f.kind) ? f.target : undefined,
        detail: name(f),
      });
    }
    if (f.clearedAt && !seen.has(`${f.id}:cleared`)) {
      seen.add(`${f.id}:cleared`);
      out.push({
        kind: 'fault-cleared',
        at: Date.parse(f.clearedAt),
        node: NODE_TARGET.test(f.kind) ? f.target : undefined,
        detail: name(f),
      });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}
