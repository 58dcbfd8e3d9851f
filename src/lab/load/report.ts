/**
 * What `lab load` measured, pure: each request's outcome classified (a right answer is from one of
 * the Service's backends per the model; any other answer is a wrong backend), counted per second
 * and per kind, and the outages: the longest run of failed requests with no success between
 * (full outage) and the longest disruption (errors less than DISRUPTION_GAP_MS apart merged: with
 * one backend of two dead, half the requests fail and the other half pass until the endpoint
 * leaves the rules, and that whole window is the disruption).
 */

export const ERROR_KINDS = ['refused', 'timeout', 'reset', 'unreachable', 'wrong-backend', 'http', 'error'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];
export type Outcome = 'ok' | ErrorKind;

/** Errors closer together than this belong to one disruption. */
export const DISRUPTION_GAP_MS = 2000;

/** What images/load/load.py printed for one source. */
export interface RawLoad {
  /** Epoch ms of the first scheduled request. */
  start: number;
  /** [ms since start, kind, text]: kind ok (text: the answer) or an error kind of the client. */
  results: Array<[number, string, string]>;
  /** The client printed its end line (false: it died mid-run, e.g. with its node). */
  complete: boolean;
}

/**
 * Parses the client's JSON lines (start, one per request, done). A client that died mid-run
 * still has the requests it finished; one that printed no start line saw nothing (undefined).
 */
export function parseRawLoad(stdout: string): RawLoad | undefined {
  let start: number | undefined;
  let complete = false;
  const results: RawLoad['results'] = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      continue; // a line cut short by the client's death
    }
    if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'number') results.push(v as [number, string, string]);
    else if (v && typeof v === 'object' && typeof (v as { start?: unknown }).start === 'number')
      start = (v as { start: number }).start;
    else if (v && typeof v === 'object' && 'done' in v) complete = true;
  }
  if (start === undefined) return undefined;
  return { start, results: results.sort((a, b) => a[0] - b[0]), complete };
}

export interface LoadRequest {
  /** Epoch ms the request was sent. */
  at: number;
  outcome: Outcome;
  text: string;
}

export interface Window {
  /** Epoch ms of the first failed request, and of the request that ended it (or the run's end). */
  from: number;
  to: number;
  ms: number;
  errors: number;
}

export interface SourceSummary {
  source: string;
  what: string;
  requests: number;
  ok: number;
  /** ok / requests, 0..1 (0 when nothing was sent). */
  successRate: number;
  errors: Partial<Record<ErrorKind, number>>;
  /** Per second from the start: requests sent, ok, and errors by kind. */
  perSecond: Array<{ second: number; sent: number; ok: number; errors: Partial<Record<ErrorKind, number>> }>;
  /** The answers seen, per backend (right and wrong). */
  backends: Record<string, number>;
  longestOutage?: Window;
  longestDisruption?: Window;
  /** Failed requests sent after the longest disruption ended (0: it healed for good). */
  errorsAfter: number;
  /** Why the source stopped before the end (its container stopped, ...), when it did. */
  stopped?: string;
  /** A few error texts, one per kind. */
  samples: Partial<Record<ErrorKind, string>>;
}

export function classify(raw: RawLoad, backends: string[]): LoadRequest[] {
  const right = new Set(backends);
  return raw.results.map(([ms, kind, text]) => {
    const outcome: Outcome =
      kind === 'ok'
        ? right.has(text.trim())
          ? 'ok'
          : 'wrong-backend'
        : (ERROR_KINDS as readonly string[]).includes(kind)
          ? (kind as ErrorKind)
          : 'error';
    return { at: raw.start + ms, outcome, text };
  });
}

/** Longest window of failures: consecutive ones (gapMs 0) or merged when closer than gapMs. */
export function longestWindow(reqs: LoadRequest[], intervalMs: number, gapMs = 0): Window | undefined {
  let best: Window | undefined;
  let cur: { from: number; last: number; errors: number } | undefined;
  const close = (to: number) => {
    if (!cur) return;
    const w = { from: cur.from, to, ms: to - cur.from, errors: cur.errors };
    if (!best || w.ms > best.ms) best = w;
    cur = undefined;
  };
  for (const r of reqs) {
    if (r.outcome === 'ok') {
      // Consecutive failures end at the first success; a disruption goes on across short successes.
      if (cur && (gapMs === 0 || r.at - cur.last >= gapMs)) close(gapMs === 0 ? r.at : cur.last + intervalMs);
      continue;
    }
    if (cur && gapMs > 0 && r.at - cur.last >= gapMs) close(cur.last + intervalMs);
    cur ??= { from: r.at, last: r.at, errors: 0 };
    cur.last = r.at;
    cur.errors++;
  }
  close(cur ? cur.last + intervalMs : 0);
  return best;
}

export function summarize(
  source: { id: string; what: string },
  reqs: LoadRequest[],
  start: number,
  rate: number,
): SourceSummary {
  const errors: Partial<Record<ErrorKind, number>> = {};
  const samples: Partial<Record<ErrorKind, string>> = {};
  const backends: Record<string, number> = {};
  const perSecond: SourceSummary['perSecond'] = [];
  for (const r of reqs) {
    const s = Math.max(0, Math.floor((r.at - start) / 1000));
    while (perSecond.length <= s) perSecond.push({ second: perSecond.length, sent: 0, ok: 0, errors: {} });
    perSecond[s].sent++;
    if (r.outcome === 'ok' || r.outcome === 'wrong-backend') backends[r.text] = (backends[r.text] ?? 0) + 1;
    if (r.outcome === 'ok') {
      perSecond[s].ok++;
      continue;
    }
    errors[r.outcome] = (errors[r.outcome] ?? 0) + 1;
    perSecond[s].errors[r.outcome] = (perSecond[s].errors[r.outcome] ?? 0) + 1;
    samples[r.outcome] ??= r.text;
  }
  const ok = reqs.filter((r) => r.outcome === 'ok').length;
  const interval = 1000 / rate;
  const longestDisruption = longestWindow(reqs, interval, DISRUPTION_GAP_MS);
  return {
    source: source.id,
    what: source.what,
    requests: reqs.length,
    ok,
    successRate: reqs.length ? ok / reqs.length : 0,
    errors,
    perSecond,
    backends,
    longestOutage: longestWindow(reqs, interval),
    longestDisruption,
    errorsAfter: longestDisruption ? reqs.filter((r) => r.at >= longestDisruption.to && r.outcome !== 'ok').length : 0,
    samples,
  };
}

export interface FaultMark {
  id: string;
  kind: string;
  target: string;
  at: number;
}

function rel(ms: number, t0: number): string {
  const d = (ms - t0) / 1000;
  return `${d < 0 ? '-' : '+'}${Math.abs(d).toFixed(2)}s`;
}

/** The report as text: one block per source, times relative to the fault when there was one. */
export function renderLoadReport(
  head: string,
  summaries: SourceSummary[],
  start: number,
  fault: FaultMark | undefined,
): string {
  const t0 = fault?.at ?? start;
  const out = [head];
  if (fault)
    out.push(
      `fault ${fault.id} ${fault.kind} ${fault.target} at ${rel(fault.at, start)} of the load; times below are from the fault`,
    );
  for (const s of summaries) {
    const errs = ERROR_KINDS.filter((k) => s.errors[k])
      .map((k) => `${k} ${s.errors[k]}`)
      .join(', ');
    out.push('');
    out.push(
      `${s.source} (${s.what}): ${s.requests} requests, ${s.ok} ok (${(s.successRate * 100).toFixed(1)}%)${errs ? `; errors: ${errs}` : '; no error'}`,
    );
    if (s.stopped) out.push(`  stopped early: ${s.stopped}`);
    if (s.longestDisruption) {
      const d = s.longestDisruption;
      out.push(
        `  disrupted ${(d.ms / 1000).toFixed(2)}s: ${d.errors} failed from ${rel(d.from, t0)} to ${rel(d.to, t0)}; longest full outage ${((s.longestOutage?.ms ?? 0) / 1000).toFixed(2)}s`,
      );
      out.push(`  ${s.errorsAfter} errors after it`);
    }
    const answers = Object.entries(s.backends).sort(([a], [b]) => a.localeCompare(b));
    if (answers.length) out.push(`  answered by: ${answers.map(([b, n]) => `${b} ${n}`).join(', ')}`);
    for (const k of ERROR_KINDS) if (s.samples[k]) out.push(`  ${k}: e.g. ${s.samples[k]}`);
    const cells = s.perSecond.map((p) => `${p.ok}/${p.sent}`);
    const rows: string[] = [];
    for (let i = 0; i < cells.length; i += 10)
      rows.push(`  ${rel(start + i * 1000, t0).padStart(8)}  ${cells.slice(i, i + 10).join(' ')}`);
    out.push('  ok/sent per second:', ...rows);
  }
  return out.join('\n');
}
