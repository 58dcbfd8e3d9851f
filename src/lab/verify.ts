/** Runs the probes of every (or the chosen) path against a running lab. */
import { LabModel } from '../model/types';
import { exec } from '../runtime/exec';
import { targetArgv } from './targets';
import { PATHS } from '../probes/registry';
import { Probe, ProbeResult, ProbeRunner } from '../probes/types';
import { InputError } from '../errors';

export interface VerifyReport {
  lab: string;
  ok: boolean;
  probes: ProbeResult[];
}

export const execRunner: ProbeRunner = {
  run: (t, argv) => exec(t.container, targetArgv(t, argv)),
  sh: (t, script) => exec(t.container, targetArgv(t, ['sh', '-c', script])),
};

export function selectProbes(model: LabModel, paths?: string[]): Probe[] {
  const known = PATHS.map((p) => p.id);
  for (const p of paths ?? []) {
    if (!known.includes(p)) throw new InputError(`unknown path "${p}"`, { field: '--path', hint: `use one of: ${known.join(', ')}` });
  }
  return PATHS.filter((p) => !paths?.length || paths.includes(p.id)).flatMap((p) => p.probes(model));
}

/** Runs probes with bounded concurrency; a probe that throws is a failed probe, not a crash. */
export async function runProbes(probes: Probe[], runner: ProbeRunner, concurrency = 6): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array(probes.length);
  let next = 0;
  async function worker() {
    while (next < probes.length) {
      const i = next++;
      const p = probes[i];
      try {
        results[i] = await p.run(runner);
      } catch (err) {
        results[i] = { path: p.path, name: p.name, from: p.from, to: p.to, ok: false, evidence: {}, reason: `probe error: ${(err as Error).message}` };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, probes.length) }, worker));
  return results;
}

export async function verifyLab(model: LabModel, paths?: string[], runner: ProbeRunner = execRunner): Promise<VerifyReport> {
  const results = await runProbes(selectProbes(model, paths), runner);
  return { lab: model.name, ok: results.length > 0 && results.every((r) => r.ok), probes: results };
}
