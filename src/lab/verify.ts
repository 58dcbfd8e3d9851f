/** Runs the probes of every (or the chosen) path against a running lab, and reports coverage. */
import * as os from 'os';
import { LabModel } from '../model/types';
import { PATHS } from '../paths';
import { PathDef, Probe, ProbeResult, ProbeRunner } from '../paths/common/types';
import { errored } from '../observe/probe';
import { InputError } from '../errors';
import type { PathCoverage, VerifyReport } from '../report/verify-report';
import type { Timings } from './timings';
import { agentRunner } from './probe-agent';

// Defined beside their renderers (src/report/); re-exported for the commands that run verify.
export type { VerifyReport };

function chosenPaths(paths?: string[]): PathDef[] {
  const known = PATHS.map((p) => p.id);
  for (const p of paths ?? []) {
    if (!known.includes(p))
      throw new InputError(`unknown path "${p}"`, { field: '--path', hint: `use one of: ${known.join(', ')}` });
  }
  return PATHS.filter((p) => !paths?.length || paths.includes(p.id));
}

export function selectProbes(model: LabModel, paths?: string[]): Probe[] {
  return chosenPaths(paths).flatMap((p) => p.probes(model));
}

/**
 * Probes run side by side (verifyLab): most of a probe's time is waiting (for a reply, a time-out
 * that proves a drop, a ping interval), and through the probe agents a command costs a fork, not a
 * docker exec. Bounded by the machine's cores so a large lab does not start hundreds of requests
 * at once on a small machine (answers slowed past their time-outs would read as failures).
 */
export function verifyConcurrency(cpus = os.cpus().length): number {
  return Math.min(64, Math.max(8, 32 * cpus));
}

/** Runs probes with bounded concurrency; a probe that throws is a failed probe, not a crash. */
export async function runProbes(
  probes: Probe[],
  runner: ProbeRunner,
  concurrency = 6,
  onDone?: (p: Probe, ms: number) => void,
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array(probes.length);
  let next = 0;
  async function worker() {
    while (next < probes.length) {
      const i = next++;
      const p = probes[i];
      const t0 = Date.now();
      try {
        results[i] = await p.run(runner);
      } catch (err) {
        results[i] = errored({ path: p.path, name: p.name, from: p.from, to: p.to }, err);
      }
      onDone?.(p, Date.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, probes.length) }, worker));
  return results;
}

/** Per path: how many probes and verdicts; a path with no judged probe is not covered, with the reason. */
export function coverageOf(
  model: LabModel,
  defs: PathDef[],
  results: ProbeResult[],
): Pick<VerifyReport, 'coverage' | 'notCovered'> {
  const coverage: PathCoverage[] = [];
  const notCovered: VerifyReport['notCovered'] = [];
  for (const d of defs) {
    const rs = results.filter((r) => r.path === d.id);
    const c = {
      path: d.id,
      probes: rs.length,
      passed: rs.filter((r) => r.verdict === 'pass').length,
      failed: rs.filter((r) => r.verdict === 'fail').length,
      notApplicable: rs.filter((r) => r.verdict === 'not applicable').length,
    };
    coverage.push(c);
    if (rs.length === 0)
      notCovered.push({ path: d.id, reason: d.uncovered?.(model) ?? 'the topology yields no probe for this path' });
    else if (c.notApplicable === rs.length)
      notCovered.push({
        path: d.id,
        reason: `every probe is not applicable: ${[...new Set(rs.map((r) => r.reason))].join('; ')}`,
      });
  }
  return { coverage, notCovered };
}

export async function verifyLab(
  model: LabModel,
  paths?: string[],
  runner?: ProbeRunner,
  timings?: Timings,
): Promise<VerifyReport> {
  // By default every command goes through one probe agent per container (probe-agent.ts).
  const agents = runner ? undefined : agentRunner();
  try {
    return await verifyWith(model, paths, runner ?? agents!, timings);
  } finally {
    await agents?.close();
  }
}

async function verifyWith(
  model: LabModel,
  paths: string[] | undefined,
  runner: ProbeRunner,
  timings?: Timings,
): Promise<VerifyReport> {
  const defs = chosenPaths(paths).filter((d) => !d.appliesTo || d.appliesTo(model) || paths?.includes(d.id));
  const probes = defs.flatMap((p) => p.probes(model));
  timings?.mark('select probes', `${probes.length} probes`);
  // Per path: the time its probes took, summed (they run side by side with other paths' probes),
  // its longest probe, and when its last probe ended (from the start of the probes): the critical path.
  const busy = new Map<string, { ms: number; n: number; longest: number; end: number }>(
    defs.map((d) => [d.id, { ms: 0, n: 0, longest: 0, end: 0 }]),
  );
  const t0 = Date.now();
  const results = await runProbes(probes, runner, verifyConcurrency(), (p, ms) => {
    const b = busy.get(p.path) ?? { ms: 0, n: 0, longest: 0, end: 0 };
    busy.set(p.path, { ms: b.ms + ms, n: b.n + 1, longest: Math.max(b.longest, ms), end: Date.now() - t0 });
  });
  for (const [path, b] of busy)
    if (b.n) timings?.add(path, b.ms, `${b.n} probes, longest ${b.longest} ms, last done at ${b.end} ms`);
  return {
    lab: model.name,
    ok: results.some((r) => r.verdict === 'pass') && results.every((r) => r.ok),
    probes: results,
    ...coverageOf(model, defs, results),
  };
}
