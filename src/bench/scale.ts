/**
 * The scale curve (npm run bench -- scale; its own section of BENCHMARKS.md, so the guide's
 * `npm run bench -- lab` can be re-run without losing it): 100, 250, 500 and 1,000 pods
 * (BENCH_LAB_SCALE=100,250,500,1000), each lab up, measured, verified and brought down once, as a
 * user runs the CLI. Per size: up, verify (probes passed, never thrown away when some fail), down,
 * memory, one full kube-proxy sync of node1, the host's ARP table (entries the lab holds in the
 * kernel's gc-counted table and as permanent entries, refusals while verify ran) and the load
 * average at each step; then how each figure grows from the smallest size to the largest.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import { mdTable } from './report';
import { parseTimings, Phase } from '../lab/timings';
import { scaleShape, scaleTopology } from './scale-topology';
import { baseline, containersOf, fullSyncNode1, labMemoryMiB, phaseTable, PREFIX } from './lab';
import { imageTag } from '../runtime/images';
import { readNeighbourTable } from '../lab/neighbour-table';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');

const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const f2 = (x: number) => x.toFixed(2);
const load1 = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

async function timed(args: string[]) {
  const t0 = process.hrtime.bigint();
  const r = await execa('node', [BIN, ...args], { reject: false, cwd: ROOT, all: true });
  return { s: secs(t0), r };
}

/** "all N probes passed" or "X of Y probes passed" from lab verify's last lines. */
export function parseProbeCount(out: string): { passed: number; total: number } | undefined {
  const all = /all (\d+) probes passed/.exec(out);
  if (all) return { passed: Number(all[1]), total: Number(all[1]) };
  const some = /(\d+) of (\d+) probes passed/.exec(out);
  return some ? { passed: Number(some[1]), total: Number(some[2]) } : undefined;
}

/**
 * IPv4 neighbour entries in every namespace of the lab's containers (their root namespaces and
 * every pod namespace), split into what the kernel counts against gc_thresh3 and what it does not
 * (PERMANENT; loopback entries are exempt too and are not listed by `ip neigh`).
 */
async function labNeighbours(name: string): Promise<{ counted: number; permanent: number }> {
  const sum = { counted: 0, permanent: 0 };
  const cmd =
    'for ns in "" $(ip netns list 2>/dev/null | cut -d" " -f1); do ' +
    'if [ -z "$ns" ]; then ip -4 neigh show nud all; else ip -n "$ns" -4 neigh show nud all; fi; done';
  for (const c of await containersOf(name)) {
    const r = await execa('docker', ['exec', c, 'sh', '-c', cmd], { reject: false });
    for (const l of r.stdout.split('\n').filter((x) => x.trim())) {
      if (/\bPERMANENT\b/.test(l)) sum.permanent++;
      else sum.counted++;
    }
  }
  return sum;
}

/** Lines of the kernel log that say the neighbour table refused an entry. */
async function overflowLines(): Promise<number> {
  const r = await execa('dmesg', [], { reject: false });
  return r.exitCode === 0 ? r.stdout.split('\n').filter((l) => /neighbor table overflow/.test(l)).length : -1;
}

interface ScaleRun {
  pods: number;
  nodes: number;
  services: number;
  up: number;
  verify: number;
  probes: string;
  down: number;
  memMiB: number;
  sync: { renderMs: number; applyMs: number };
  neigh: { counted: number; permanent: number };
  tableFulls: number | undefined;
  dmesgOverflow: number;
  load: { up: string; verify: string; down: string };
  base: { run: number; rm: number };
  upPhases: Phase[];
  verifyPhases: Phase[];
}

async function scaleRun(n: number, dir: string, image: string): Promise<ScaleRun> {
  const shape = scaleShape(n);
  const name = `${PREFIX}bench-scale-${n}`;
  const file = path.join(dir, `scale-${n}.yaml`);
  fs.writeFileSync(file, scaleTopology(name, n));
  await execa('node', [BIN, 'down', '--name', name], { reject: false });
  const base = await baseline(shape.nodes + 1, image);
  const load = { up: load1(), verify: '', down: '' };
  const up = await timed(['up', '-t', file, '--name', name, '--no-verify', '--timings']);
  if (up.r.exitCode !== 0) {
    await execa('node', [BIN, 'down', '--name', name], { reject: false });
    throw new Error(`lab up of ${name} failed:\n${up.r.all}`);
  }
  try {
    const memMiB = await labMemoryMiB(name);
    const sync = await fullSyncNode1(name);
    const before = readNeighbourTable();
    const dmesgBefore = await overflowLines();
    load.verify = load1();
    const v = await timed(['verify', '--name', name, '--timings']);
    const after = readNeighbourTable();
    const dmesgAfter = await overflowLines();
    const neigh = await labNeighbours(name);
    const count = parseProbeCount(v.r.stdout);
    load.down = load1();
    const down = await timed(['down', '--name', name]);
    return {
      ...shape,
      up: up.s,
      verify: v.s,
      probes: count
        ? count.passed === count.total
          ? `${count.passed}/${count.total}`
          : `**${count.passed}/${count.total}: ${count.total - count.passed} failed**`
        : `? (exit ${v.r.exitCode}: ${(v.r.stderr.trim().split('\n').pop() ?? '').slice(0, 200)})`,
      down: down.s,
      memMiB,
      sync,
      neigh,
      tableFulls: before && after ? after.tableFulls - before.tableFulls : undefined,
      dmesgOverflow: dmesgBefore >= 0 && dmesgAfter >= 0 ? dmesgAfter - dmesgBefore : -1,
      load,
      base,
      upPhases: parseTimings(up.r.stdout),
      verifyPhases: parseTimings(v.r.stdout),
    };
  } catch (e) {
    await execa('node', [BIN, 'down', '--name', name], { reject: false });
    throw e;
  }
}

/** How y grows with x between the smallest and the largest size: the ratio and the exponent b of y ~ x^b. */
export function growth(x0: number, x1: number, y0: number, y1: number): string {
  if (!(y0 > 0 && y1 > 0 && x1 > x0)) return '–';
  const b = Math.log(y1 / y0) / Math.log(x1 / x0);
  const kind = b < 0.8 ? 'sublinear' : b <= 1.2 ? 'linear' : 'worse than linear';
  return `×${(y1 / y0).toFixed(1)} (b = ${b.toFixed(2)}, ${kind})`;
}

export async function benchScale(): Promise<string> {
  const sizes = (process.env.BENCH_LAB_SCALE ?? '100,250,500,1000').split(',').filter(Boolean).map(Number);
  const image = imageTag();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-scale-'));
  const runs: ScaleRun[] = [];
  try {
    for (const n of sizes) runs.push(await scaleRun(n, dir, image));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const t = readNeighbourTable();
  const rows = runs.map((r) => [
    r.pods,
    r.nodes,
    r.services,
    f2(r.up),
    f2(r.verify),
    r.probes,
    f2(r.down),
    (r.memMiB / 1024).toFixed(2),
    `${Math.round(r.sync.renderMs)} + ${Math.round(r.sync.applyMs)}`,
    `${r.neigh.counted} / ${r.neigh.permanent}`,
    `${r.tableFulls ?? '?'} / ${r.dmesgOverflow < 0 ? '?' : r.dmesgOverflow}`,
    `${r.load.up} / ${r.load.verify} / ${r.load.down}`,
    `${f2(r.base.run)} / ${f2(r.base.rm)}`,
  ]);
  const out: string[] = [
    `Machine shared while it ran (2 cores); one run per size, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Lab names \`${PREFIX}bench-scale-<pods>\`, topology from src/bench/scale-topology.ts (20-replica Deployments behind a ClusterIP Service each, 50 pods per node; topologies/scale-1000.yaml is the 1,000-pod one).`,
    '',
    'Budgets at 1,000 pods (issue 15): up ≤ 60 s, verify ≤ 60 s and passes, down ≤ 5 s, memory ≤ 4 GB.',
    '',
    mdTable(
      [
        'pods',
        'nodes',
        'Services',
        'up (s)',
        'verify (s)',
        'probes passed',
        'down (s)',
        'memory (GiB)',
        'full sync node1 (ms)',
        'ARP entries after verify: gc-counted / permanent',
        'ARP refusals during verify: table_fulls / dmesg lines',
        'load (1 min) at up / verify / down',
        'baseline run / rm (s)',
      ],
      rows,
    ),
    '',
    'Up, verify, down: wall clock of the CLI (`lab up --no-verify --timings`, `lab verify --timings`, `lab down`). Memory: the sum of `docker stats --no-stream` over the lab containers right after up (cgroup usage, page cache included). Full sync: one kube-proxy (iptables) sync of node1 alone, rendered in Node + applied by one exec. ARP entries: `ip -4 neigh show nud all` in every namespace of the lab after verify; gc-counted are the ones net.ipv4.neigh.default.gc_thresh3 ' +
      `(${t?.gcThresh3 ?? '?'} on this host) limits for the whole host, permanent ones are the pod ↔ node entries the lab programs (src/plan/static-neigh.ts, exempt from that limit). table_fulls: /proc/net/stat/arp_cache across verify (every namespace on the host, other labs included); dmesg: new "neighbor table overflow" lines (rate-limited by the kernel). Baseline: \`docker run -d\` of as many containers as the lab's VPC router and nodes in parallel, and \`docker rm -f\` of them, just before the lab.`,
  ];
  if (runs.length >= 2) {
    const a = runs[0];
    const b = runs[runs.length - 1];
    const g = (f: (r: ScaleRun) => number) => growth(a.pods, b.pods, f(a), f(b));
    out.push(
      '',
      `#### Growth from ${a.pods} to ${b.pods} pods (×${(b.pods / a.pods).toFixed(1)}; b is the exponent of y ~ pods^b: 1 linear)`,
      '',
      mdTable(
        ['figure', 'growth'],
        [
          ['up', g((r) => r.up)],
          ['verify', g((r) => r.verify)],
          ['down', g((r) => r.down)],
          ['memory', g((r) => r.memMiB)],
          ['full sync node1 (render + apply)', g((r) => r.sync.renderMs + r.sync.applyMs)],
          ['pods phase of up', g((r) => r.upPhases.find((p) => p.phase === 'pods')?.ms ?? 0)],
        ],
      ),
    );
  }
  out.push(
    '',
    '#### `lab up` phases by size (ms)',
    '',
    phaseTable(runs.map((r) => ({ head: `${r.pods} pods`, phases: r.upPhases }))),
    '',
    '#### `lab verify` per path by size (ms, probes summed)',
    '',
    phaseTable(runs.map((r) => ({ head: `${r.pods} pods`, phases: r.verifyPhases }))),
  );
  return out.join('\n');
}
