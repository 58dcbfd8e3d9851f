/**
 * Where a command's time goes: named phases in the order they ran (lab up --timings, lab verify
 * --timings). Wall-clock milliseconds; figures are reported, never asserted (BENCHMARKS.md).
 */
export interface Phase {
  phase: string;
  ms: number;
  /** What the phase did, e.g. "16 pods on 3 nodes" or "12 probes". */
  detail?: string;
}

export class Timings {
  readonly phases: Phase[] = [];
  private last: number;

  constructor(private readonly now: () => number = Date.now) {
    this.last = now();
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

  total(): number {
    return this.phases.reduce((n, p) => n + p.ms, 0);
  }
}

/**
 * The phases as a table: phase, milliseconds, share of their sum, what it did; then the sum, and the
 * wall-clock time when it differs (phases that overlap, like probes run side by side).
 */
export function renderTimings(title: string, phases: Phase[], wallMs?: number): string {
  const sum = phases.reduce((n, p) => n + p.ms, 0);
  const w = Math.max(5, ...phases.map((p) => p.phase.length));
  const share = (ms: number) => (sum ? ((100 * ms) / sum).toFixed(0).padStart(3) : '  -');
  const lines = phases.map(
    (p) =>
      `  ${p.phase.padEnd(w)}  ${String(p.ms).padStart(7)} ms  ${share(p.ms)}%` + (p.detail ? `  ${p.detail}` : ''),
  );
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
