/**
 * Where a command's time goes: named phases in the order they ran (lab up --timings, lab verify
 * --timings). Wall-clock milliseconds; figures are reported, never asserted (BENCHMARKS.md).
 */
export interface Phase {
  phase: string;
  ms: number;
  /** What the phase did, e.g. "16 pods on 3 nodes" or "12 probes". */
  detail?: string;
  /** When the phase started, in ms since the Timings began; set for phases timed by span(), which may overlap. */
  at?: number;
}

export class Timings {
  readonly phases: Phase[] = [];
  private last: number;

  private readonly start: number;

  constructor(private readonly now: () => number = Date.now) {
    this.last = now();
    this.start = this.last;
  }

  /** Ends the phase that ran since the previous mark (or since the start). */
  mark(phase: string, detail?: string): void {
    const t = this.now();
    this.phases.push({ phase, ms: t - this.last, ...(detail ? { detail } : {}) });
    this.last = t;
  }

  /** Adds a phase measured elsewhere (e.g. the busy time of one path's probes, which ran interleaved). */
  add(phase: string, ms: number, detail?: string): void {
    this.phases.push({ phase, ms, ...(detail ? { detail } : {}) });
  }

  /**
   * Times a phase that may run beside others (its own wall time, from its start to its end); the
   * next mark() measures from the latest end. `detail` describes what it did from its result.
   */
  async span<T>(phase: string, fn: () => Promise<T>, detail?: (r: T) => string | undefined): Promise<T> {
    const t0 = this.now();
    // Its row is taken when it starts, so the table lists phases in the order they began.
    const row: Phase = { phase, ms: 0, at: t0 - this.start };
    this.phases.push(row);
    const r = await fn();
    const t1 = this.now();
    const d = detail?.(r);
    row.ms = t1 - t0;
    if (d) row.detail = d;
    this.last = Math.max(this.last, t1);
    return r;
  }

  /** Wall-clock ms since the Timings began. */
  wall(): number {
    return this.now() - this.start;
  }

  total(): number {
    return this.phases.reduce((n, p) => n + p.ms, 0);
  }
}

/** The span phases that ran at the same time as `p` (their intervals intersect by more than 0 ms). */
export function besides(p: Phase, phases: Phase[]): string[] {
  if (p.at === undefined) return [];
  const [a0, a1] = [p.at, p.at + p.ms];
  return phases
    .filter((o) => o !== p && o.at !== undefined && Math.min(a1, o.at + o.ms) - Math.max(a0, o.at) > 0)
    .map((o) => o.phase);
}

/**
 * The phases as a table: phase, milliseconds, share of their sum, what it did (and which phases it
 * ran beside); then the sum, and the wall-clock time when given (phases that overlap, like probes
 * run side by side or lab up's independent phases, sum to more than the wall).
 */
export function renderTimings(title: string, phases: Phase[], wallMs?: number): string {
  const sum = phases.reduce((n, p) => n + p.ms, 0);
  const w = Math.max(5, ...phases.map((p) => p.phase.length));
  const share = (ms: number) => (sum ? ((100 * ms) / sum).toFixed(0).padStart(3) : '  -');
  const lines = phases.map((p) => {
    const beside = besides(p, phases);
    const detail = [p.detail, beside.length ? `beside ${beside.join(', ')}` : undefined].filter(Boolean).join('; ');
    return `  ${p.phase.padEnd(w)}  ${String(p.ms).padStart(7)} ms  ${share(p.ms)}%` + (detail ? `  ${detail}` : '');
  });
  lines.push(`  ${'sum'.padEnd(w)}  ${String(sum).padStart(7)} ms`);
  if (wallMs !== undefined) lines.push(`  ${'wall'.padEnd(w)}  ${String(wallMs).padStart(7)} ms`);
  return [`${title}:`, ...lines].join('\n');
}

/** Reads a table renderTimings wrote (the bench runs the CLI and parses its --timings output). */
export function parseTimings(text: string): Phase[] {
  const out: Phase[] = [];
  for (const m of text.matchAll(/^ {2}(\S(?:.*?\S)?) +(\d+) ms +(?:\d+|-)%(?: {2}(.*))?$/gm))
    out.push({ phase: m[1], ms: Number(m[2]), ...(m[3] ? { detail: m[3] } : {}) });
  return out;
}
