/**
 * lab trace per path on the guide lab: wall time inside the command (arm, probe, stop, analyze),
 * hops found, frames captured, and what tcpdump says it dropped (the kernel's count).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import { readModel } from '../lab/state';
import { runTrace, traceReachedEnd } from '../lab/trace';
import { PATHS, tracePlan } from '../paths';
import { mdTable, stats } from './report';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');
const LAB = 'bench-trace';

export async function benchTrace(runs = 5): Promise<string> {
  await execa('node', [BIN, 'down', '--name', LAB], { reject: false });
  const up = await execa('node', [BIN, 'up', '--name', LAB, '--no-verify'], { reject: false, cwd: ROOT });
  if (up.exitCode !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
  const rows: Array<Array<string | number>> = [];
  try {
    const model = await readModel(LAB);
    for (const def of PATHS) {
      try {
        tracePlan(model, def.id);
      } catch {
        rows.push([def.id, 'not on this lab', '-', '-', '-', '-', '-']);
        continue;
      }
      const totals: number[] = [];
      let hops = 0;
      let frames = 0;
      let dropped = 0;
      let reached = 0;
      for (let i = 0; i < runs; i++) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-trace-'));
        const run = await runTrace(model, def.id, { dir });
        totals.push(run.timings.totalMs);
        hops = run.result.hops.length;
        frames = Object.values(run.pcaps).reduce((n, p) => n + p.frames, 0);
        dropped += run.outcomes.reduce((n, o) => n + (o.stats.droppedByKernel ?? 0), 0);
        if (traceReachedEnd(run)) reached++;
        fs.rmSync(dir, { recursive: true, force: true });
      }
      const s = stats(totals);
      rows.push([def.id, `${reached}/${runs}`, hops, frames, dropped, s.p50.toFixed(0), s.max.toFixed(0)]);
    }
  } finally {
    await execa('node', [BIN, 'down', '--name', LAB], { reject: false });
  }
  return (
    `${runs} traces per path on the guide lab (iptables mode), timed inside the command (arm every capture, probe, ` +
    'stop, read the pcaps, analyze); Node start-up adds about 0.5 s to the wall time of `lab trace`. "dropped" is the sum of ' +
    'tcpdump\'s own "dropped by kernel" counts over all points and runs. Target: under 5 s per trace.\n\n' +
    mdTable(['path', 'reached end', 'hops', 'frames (last run)', 'dropped', 'p50 ms', 'max ms'], rows)
  );
}
