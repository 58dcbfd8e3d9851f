/** Runs `lab load` on a running lab: the load client in every source at once (the thin edge). */
import { readFileSync } from 'fs';
import { join } from 'path';
import { projectRoot } from '../../runtime/images';
import { execScript, ExecResult } from '../../runtime/exec';
import type { LoadPlan, LoadSource } from './plan';
import { renderLoadScript } from './plan';
import { classify, parseRawLoad, SourceSummary, summarize } from './report';

/** Runs a script in a container (the engine's exec; a fake in unit tests). */
export type ScriptRunner = (container: string, script: string) => Promise<Pick<ExecResult, 'stdout' | 'stderr'>>;

let program: string | undefined;
export function loadProgram(): string {
  program ??= readFileSync(join(projectRoot(), 'images', 'load', 'load.py'), 'utf8');
  return program;
}

export interface LoadRun {
  /** Epoch ms of the earliest source's first request. */
  start: number;
  end: number;
  summaries: SourceSummary[];
}

export async function runLoad(
  plan: LoadPlan,
  run: ScriptRunner = (c, s) => execScript(c, s),
  prog = loadProgram(),
): Promise<LoadRun> {
  const t0 = Date.now();
  const one = async (src: LoadSource) => {
    let r: Pick<ExecResult, 'stdout' | 'stderr'>;
    try {
      r = await run(src.container, renderLoadScript(plan, src, prog));
    } catch (err) {
      // The source's container stopped or froze before or during the run: what it saw is lost.
      r = { stdout: '', stderr: (err as Error).message.split('\n')[0] };
    }
    const raw = parseRawLoad(r.stdout);
    const why = `the client ended without its report${r.stderr.trim() ? ` (${r.stderr.trim().split('\n').pop()})` : ' (its container stopped?)'}`;
    const summary = summarize(src, raw ? classify(raw, plan.backends) : [], raw?.start ?? t0, plan.options.rate);
    if (!raw?.complete) summary.stopped = raw ? `after ${raw.results.length} requests: ${why}` : why;
    return { start: raw?.start, summary };
  };
  const done = await Promise.all(plan.sources.map(one));
  const starts = done.map((d) => d.start).filter((s): s is number => s !== undefined);
  if (starts.length === 0)
    throw new Error(
      `the load client ran on no source: ${done.map((d) => `${d.summary.source}: ${d.summary.stopped}`).join('; ')}`,
    );
  const start = Math.min(...starts);
  return {
    start,
    end: start + plan.options.seconds * 1000,
    summaries: done.map((d) => d.summary),
  };
}
