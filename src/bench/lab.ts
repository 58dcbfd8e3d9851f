/** lab up / verify / down for the guide lab and a scaled lab, through the real CLI. */
import * as path from 'path';
import execa from 'execa';
import { mdTable } from './report';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');

async function timed(args: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await execa('node', [BIN, ...args], { reject: false, cwd: ROOT });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.exitCode !== 0) throw new Error(`lab ${args.join(' ')} failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
  return s;
}

export async function benchLab(runs = 3): Promise<string> {
  const labs = [
    { file: 'topologies/guide.yaml', name: 'bench-guide', what: 'guide (3 nodes)' },
    { file: 'topologies/scale-10x20.yaml', name: 'bench-scale', what: 'scaled (10 nodes × 20 pods)' },
  ];
  const rows: Array<Array<string | number>> = [];
  for (const l of labs) {
    await execa('node', [BIN, 'down', '--name', l.name], { reject: false });
    const up: number[] = [];
    const verify: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < runs; i++) {
      up.push(await timed(['up', '-t', l.file, '--name', l.name, '--no-verify']));
      verify.push(await timed(['verify', '--name', l.name]));
      down.push(await timed(['down', '--name', l.name]));
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)].toFixed(2);
    const st = await execa('node', [BIN, 'up', '-t', l.file, '--name', l.name, '--no-verify'], { reject: false });
    const pods = /(\d+) pods/.exec(st.stdout)?.[1] ?? '?';
    await execa('node', [BIN, 'down', '--name', l.name], { reject: false });
    rows.push([l.what, pods, med(up), med(verify), med(down)]);
  }
  return (
    `Median of ${runs} runs each, wall-clock seconds of the CLI as a user runs it (images present).\n\n` +
    mdTable(['lab', 'pods', 'lab up (s)', 'lab verify (s)', 'lab down (s)'], rows) +
    '\n\nReference: `docker run` of one container ~0.15 s here; `kind create cluster` 12-17 s for one node.'
  );
}
