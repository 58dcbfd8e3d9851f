/**
 * lab up / verify / down as a user runs them (the CLI, images present), each beside a baseline
 * measured in the same run, so a loaded machine shows in both: `docker run -d` of as many
 * containers in parallel (up, verify) and `docker rm -f` of them (down). Also CLI start-up and the
 * per-phase breakdown (--timings). The scale curve is its own suite (src/bench/scale.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import { mdTable } from './report';
import { parseTimings, Phase } from '../lab/timings';
import { readModel } from '../lab/state';
import { computeEndpoints } from '../proxy/endpoints';
import { sync } from './proxy';
import { imageTag } from '../runtime/images';
import { LABEL_LAB } from '../model/types';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');
/** Lab names start with this (each engineer or CI job its own; never another's labs). */
export const PREFIX = process.env.BENCH_LAB_PREFIX ?? process.env.K8S_NETLAB_E2E_PREFIX ?? '';

const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f2 = (x: number) => x.toFixed(2);

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const t0 = process.hrtime.bigint();
  const r = await execa(cmd, args, { reject: false, cwd: ROOT, env, all: true });
  const s = secs(t0);
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.exitCode}):\n${r.all}`);
  return { s, out: r.stdout };
}

const lab = (args: string[], bin = BIN) => run('node', [bin, ...args]);

/**
 * `docker run -d` of n containers in parallel, then `docker rm -f` of them: the engine's own cost.
 * Network mode none, as the lab's containers: the same work, and nothing attached to the host's
 * docker0 (a bridge endpoint there changes the host's links, which the e2e host-state checks see).
 */
export async function baseline(n: number, image: string): Promise<{ run: number; rm: number }> {
  const name = `${PREFIX}bench-baseline`;
  const names = Array.from({ length: n }, (_, i) => `${name}-${i}`);
  await execa('docker', ['rm', '-f', ...names], { reject: false });
  const t0 = process.hrtime.bigint();
  await Promise.all(
    names.map((c) =>
      execa('docker', [
        'run',
        '-d',
        '--name',
        c,
        '--label',
        `${LABEL_LAB}=${name}`,
        '--network',
        'none',
        '--cap-add',
        'NET_ADMIN',
        '--entrypoint',
        'sleep',
        image,
        'infinity',
      ]),
    ),
  );
  const runS = secs(t0);
  const t1 = process.hrtime.bigint();
  await execa('docker', ['rm', '-f', ...names]);
  return { run: runS, rm: secs(t1) };
}

export async function containersOf(name: string): Promise<string[]> {
  const r = await execa('docker', ['ps', '-aq', '--filter', `label=${LABEL_LAB}=${name}`]);
  return r.stdout.split('\n').filter(Boolean);
}

/** Memory of every container of the lab, as the engine's cgroups count it (docker stats). */
export async function labMemoryMiB(name: string): Promise<number> {
  const ids = await containersOf(name);
  const r = await execa('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', ...ids]);
  const unit: Record<string, number> = {
    B: 1 / 2 ** 20,
    KiB: 1 / 1024,
    MiB: 1,
    GiB: 1024,
    kB: 1 / 1024,
    MB: 1,
    GB: 1024,
  };
  return r.stdout
    .split('\n')
    .map((l) => /^([\d.]+)\s*([A-Za-z]+)/.exec(l.trim()))
    .reduce((n, m) => n + (m ? Number(m[1]) * (unit[m[2]] ?? 0) : 0), 0);
}

/** One full kube-proxy sync of node1 alone (render in Node + apply by one exec), as lab up does on every node. */
export async function fullSyncNode1(name: string): Promise<{ renderMs: number; applyMs: number }> {
  const model = await readModel(name);
  const slices = computeEndpoints(model, () => true);
  const r = await sync(model, model.nodes[0], slices);
  return { renderMs: r.renderMs, applyMs: r.applyMs };
}

interface LifeRun {
  up: number;
  verify: number;
  down: number;
  upPhases: Phase[];
  verifyPhases: Phase[];
  probes: string;
  memMiB?: number;
  sync?: { renderMs: number; applyMs: number };
}

export async function lifecycle(
  file: string,
  name: string,
  opts: { bin?: string; extra?: boolean } = {},
): Promise<LifeRun> {
  const bin = opts.bin ?? BIN;
  const timings = bin === BIN ? ['--timings'] : [];
  await execa('node', [BIN, 'down', '--name', name], { reject: false });
  const up = await lab(['up', '-t', file, '--name', name, '--no-verify', ...timings], bin);
  let memMiB: number | undefined;
  let syncMs: LifeRun['sync'];
  if (opts.extra) {
    memMiB = await labMemoryMiB(name);
    syncMs = await fullSyncNode1(name);
  }
  const t0 = process.hrtime.bigint();
  const v = await execa('node', [bin, 'verify', '--name', name, ...timings], { reject: false, cwd: ROOT });
  const verify = secs(t0);
  const probes = /all (\d+) probes passed/.exec(v.stdout)?.[1];
  const down = await lab(['down', '--name', name], bin);
  if (v.exitCode !== 0) throw new Error(`lab verify of ${name} failed:\n${v.stdout.split('\n').slice(-40).join('\n')}`);
  return {
    up: up.s,
    verify,
    down: down.s,
    upPhases: parseTimings(up.out),
    verifyPhases: parseTimings(v.stdout),
    probes: probes ? `${probes}/${probes}` : '?',
    memMiB,
    sync: syncMs,
  };
}

/** CLI start-up: node alone, lab --help and lab status (of a running lab) through a `lab` on PATH. */
async function cliStart(statusLab: string, runs: number): Promise<string> {
  // What `npm link` (or `npm install -g` of the packed tarball) puts on PATH: a `lab` that is bin/lab.js.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-bin-'));
  fs.symlinkSync(BIN, path.join(dir, 'lab'));
  const env = { PATH: `${dir}:${process.env.PATH}` };
  const rows: Array<Array<string | number>> = [];
  const node0: number[] = [];
  const timeIt = async (label: string, cmd: string, args: string[], what: string) => {
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) xs.push((await run(cmd, args, env)).s);
    const m = median(xs);
    if (label === 'node -e 0') node0.push(m);
    rows.push([label, what, f2(m), node0.length ? f2(m / node0[0]) : '']);
  };
  await timeIt('node -e 0', 'node', ['-e', '0'], 'Node alone');
  await timeIt('lab --help', 'lab', ['--help'], 'no engine call');
  await timeIt(
    'lab status',
    'lab',
    ['status', '--name', statusLab],
    'engine: list containers, read the model, ps in each node',
  );
  await timeIt('npx lab --help', 'npx', ['lab', '--help'], 'npx finding the package bin first (README: npx lab)');
  if (process.env.BENCH_LAB_BEFORE)
    await timeIt('before: lab --help', 'node', [process.env.BENCH_LAB_BEFORE, '--help'], 'the tree before this work');
  fs.rmSync(dir, { recursive: true, force: true });
  return mdTable(['command', 'what it does', `median of ${runs} (s)`, '× node -e 0'], rows);
}

export function phaseTable(cols: Array<{ head: string; phases: Phase[] }>): string {
  const names: string[] = [];
  for (const c of cols) for (const p of c.phases) if (!names.includes(p.phase)) names.push(p.phase);
  const rows = names.map((n) => [n, ...cols.map((c) => c.phases.find((p) => p.phase === n)?.ms ?? '')]);
  rows.push(['sum', ...cols.map((c) => c.phases.reduce((a, p) => a + p.ms, 0))]);
  return mdTable(['phase', ...cols.map((c) => `${c.head} (ms)`)], rows);
}

export async function benchLab(runs = Number(process.env.BENCH_LAB_RUNS ?? 3)): Promise<string> {
  const image = imageTag();
  const guideName = `${PREFIX}bench-guide`;
  const guide = path.join(ROOT, 'topologies', 'guide.yaml');
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const out: string[] = [];

  // The guide: baseline, then the lab, alternating so both see the same load.
  const runsG: LifeRun[] = [];
  const bases: Array<{ run: number; rm: number }> = [];
  let containers = 0;
  for (let i = 0; i < runs; i++) {
    runsG.push(await lifecycle(guide, guideName));
    if (!containers) {
      await lab(['up', '--name', guideName, '--no-verify']);
      containers = (await containersOf(guideName)).length;
      out.push('### CLI start-up\n');
      out.push(await cliStart(guideName, 5));
      await lab(['down', '--name', guideName]);
    }
    bases.push(await baseline(containers, image));
  }
  // The tree before this work, with a baseline of its own just before it (the load changes).
  const beforeBase = process.env.BENCH_LAB_BEFORE ? await baseline(containers, image) : undefined;
  const before = process.env.BENCH_LAB_BEFORE
    ? await lifecycle(guide, `${PREFIX}bench-before`, { bin: process.env.BENCH_LAB_BEFORE })
    : undefined;
  const b = { run: median(bases.map((x) => x.run)), rm: median(bases.map((x) => x.rm)) };
  const m = {
    up: median(runsG.map((r) => r.up)),
    verify: median(runsG.map((r) => r.verify)),
    down: median(runsG.map((r) => r.down)),
  };
  // Issue 15's budgets: up ≤ 3 s and ≤ 3× the baseline; verify ≤ 6 s; down ≤ 1 s (seconds, wall).
  const row = (what: string, s: number, base: number, budget: { sec: number; ratio?: number }) => {
    const missed = [
      ...(s > budget.sec ? [`by ${f2(s - budget.sec)} s`] : []),
      ...(budget.ratio !== undefined && s / base > budget.ratio ? [`by ${f2(s / base - budget.ratio)}×`] : []),
    ];
    return [
      what,
      f2(s),
      f2(base),
      f2(s / base),
      `≤ ${budget.sec} s${budget.ratio !== undefined ? ` and ≤ ${budget.ratio}×` : ''}`,
      missed.length ? `missed ${missed.join(' and ')}` : 'met',
    ];
  };
  out.push(
    '',
    `Lab builds in this section ran while the machine was shared (load average ${load} at the start, 2 cores), so absolute seconds are the loaded machine's; the ratios divide by a baseline measured in the same run: \`docker run -d\` of as many containers as the lab has (${containers}), in parallel, and \`docker rm -f\` of them.`,
    '',
    `### Guide lab (3 nodes, 16 pods): median of ${runs} runs, wall clock of the CLI`,
    '',
    mdTable(
      ['step', 'lab (s)', 'baseline (s)', 'ratio', 'budget', ''],
      [
        row('lab up --no-verify', m.up, b.run, { sec: 3, ratio: 3 }),
        row('lab verify', m.verify, b.run, { sec: 6 }),
        row('lab down', m.down, b.rm, { sec: 1 }),
      ],
    ),
    '',
    `Probes: ${runsG.map((r) => r.probes).join(', ')} passed.` +
      (before
        ? ` Before this work (${process.env.BENCH_LAB_BEFORE}, one run in the same session, its own baseline ${f2(beforeBase!.run)} / ${f2(beforeBase!.rm)} s just before): up ${f2(before.up)} s (ratio ${f2(before.up / beforeBase!.run)}), verify ${f2(before.verify)} s (${f2(before.verify / beforeBase!.run)}, ${before.probes}), down ${f2(before.down)} s (${f2(before.down / beforeBase!.rm)}).`
        : ''),
    '',
    '#### Where `lab up` spends its time (`lab up --timings`, ms, each run)',
    '',
    phaseTable(runsG.map((r, i) => ({ head: `run ${i + 1}`, phases: r.upPhases }))),
    '',
    '#### Where `lab verify` spends its time (`lab verify --timings`: per path, its probes summed; they run side by side, up to verifyConcurrency() at once)',
    '',
    phaseTable(runsG.map((r, i) => ({ head: `run ${i + 1}`, phases: r.verifyPhases }))),
  );

  out.push('', VERIFY_COMPLEXITY);
  return out.join('\n');
}

/** How verify grows, from the probe selection (src/paths/common/select.ts, service-select.ts). */
const VERIFY_COMPLEXITY = [
  '### How `lab verify` grows (P pods, N nodes, S Services of b backends each)',
  '',
  'Up to 100 pods (the guide: 72 probes) every probe runs as before: every pair of nodes, every pod. Above 100 pods probes are chosen by coverage (`isLargeLab`):',
  '',
  '- pod-ip-identity: one probe per pod (2 commands), each asking a serving pod on another node, the serving pods in turn, so every pod is both a client and a server about once: O(P).',
  '- pod-to-pod: one same-node pair per node, and every ordered node pair up to 12 pairs, then a ring (each node to the next, so every node sends and receives across the VPC); pod-mtu one per node: O(N).',
  "- node-to-pod: one command per node (its pods asked 16 at a time); small labs reach every pod from every node (N·P requests), large labs each node's own pods and the next node's (a ring), so every pod is reached from its node and from another: 2P requests, O(P).",
  "- pod-to-service: every Service is probed. The first plain Service from a client on every node (every node's kube-proxy rules); its first check sends `requestsFor(b)` requests (238 for b = 20: missing a backend by chance < 1e-4, so every backend must answer), every further check samples 3 requests per backend (60 for 20) and needs 80% of the distinct backends expected (15 of 20): a correct lab fails that with probability 1.7e-5 (exact, from the recurrence for the number of distinct backends after k uniform draws; below 1.1e-4 for 5 to 50 backends); a node that reaches only half the backends fails for certain; a single missing backend is caught only by the full check. Requests: O(N·b + S·b) = O(N·b + P).",
  '- Everything else (service-to-pod, NodePort, DNS, edge and ingress paths) is a constant number of probes or one per node.',
  '',
  'So verify is O(P + N·b) requests, linear in pods at a fixed density; the full all-pairs check would be O(P²).',
  '',
  'How the requests are sent (issue 15): one `docker exec` per lab container for the whole verify, which starts the probe agent (images/probes/agent.py); every probe command is a fork inside the container instead of an exec through the engine (about 90 ms of engine work each on this machine, and hundreds of them: 187 for the guide). The execs are O(N + edge containers), constant per node, instead of O(P + N·b). A sweep of k requests is one process (images/probes/http-sweep.py, 8 in flight, each on its own connection so each is its own load-balancing choice; sessionAffinity one at a time); DNS asks its questions side by side; node-to-pod asks 16 pods at a time. Probes run side by side, 32 per core and at most 64 (`verifyConcurrency`). Wall time is then the larger of the CPU work (O(P + N·b) requests over the cores) and the longest probe, which on the guide is a probe that waits for a time-out to prove a drop (loadBalancerSourceRanges, externalTrafficPolicy Local: 2 s, unchanged).',
].join('\n');
