/**
 * Fault timelines, measured: on the guide lab under `lab watch --json --eviction`, the time from
 * each fault to each timeline event, at time-scale 0.1 (and 1 where it fits in a few minutes),
 * and the recovery of a node container restarted with `docker restart` (`lab watch` re-plumbs it).
 * The expected figures come from Kubernetes' defaults (node-monitor-grace-period 50 s, not-ready
 * toleration 300 s, both × time-scale) and the LB checker's fall 2 × interval 1 s.
 */
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import { mdTable } from './report';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');
const LAB = `${process.env.K8S_NETLAB_BENCH_PREFIX ?? ''}faults-bench`;

interface Ev {
  kind: string;
  node?: string;
  detail: string;
  at: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lab = (args: string[]) => execa('node', [BIN, ...args, '--name', LAB], { cwd: ROOT, reject: false });

class Watch {
  readonly events: Ev[] = [];
  private readonly p: execa.ExecaChildProcess;
  constructor(scale: number) {
    this.p = execa('node', [BIN, 'watch', '--name', LAB, '--json', '--eviction', '--time-scale', String(scale)], {
      cwd: ROOT,
      reject: false,
    });
    let buf = '';
    this.p.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('{')) this.events.push(JSON.parse(line) as Ev);
      }
    });
  }
  async waitFor(from: number, pred: (e: Ev) => boolean, ms: number): Promise<Ev | undefined> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const e = this.events.slice(from).find(pred);
      if (e) return e;
      await sleep(200);
    }
    return undefined;
  }
  async stop(): Promise<void> {
    this.p.kill('SIGINT');
    await this.p.catch(() => undefined);
  }
}

type Row = [string, string, string, string];

/** Paths with a failed probe in lab verify's table. */
function failedPaths(out: string): string {
  return [...out.matchAll(/^(\S+) .*\[(\d+)\/(\d+) passed/gm)]
    .filter((m) => m[2] !== m[3])
    .map((m) => `${m[1]} ${m[2]}/${m[3]}`)
    .join(', ');
}

/** `[p/n passed` of every path in lab verify's table, summed: `p/n`. */
function verifyCount(out: string): string {
  let p = 0;
  let n = 0;
  for (const m of out.matchAll(/\[(\d+)\/(\d+) passed/g)) {
    p += Number(m[1]);
    n += Number(m[2]);
  }
  return `${p}/${n}`;
}

/** Injects, waits for each wanted event (in order of the list), returns rows; `undo` after. */
async function scenario(
  w: Watch,
  scale: number,
  inject: string[],
  wanted: Array<{ what: string; expected: string; pred: (e: Ev) => boolean; ms: number }>,
): Promise<Row[]> {
  const from = w.events.length;
  const t0 = Date.now();
  const r = await lab(['fault', 'inject', ...inject]);
  if (r.exitCode !== 0) throw new Error(`lab fault inject ${inject.join(' ')}: ${r.stderr}`);
  const injected = (await w.waitFor(from, (e) => e.kind === 'fault-injected', 10_000))?.at ?? t0;
  const rows: Row[] = [];
  for (const x of wanted) {
    const e = await w.waitFor(from, x.pred, x.ms);
    rows.push([
      `${inject.join(' ')} (scale ${scale})`,
      x.what,
      x.expected,
      e ? `${((e.at - injected) / 1000).toFixed(2)} s` : `not seen in ${x.ms / 1000} s`,
    ]);
  }
  return rows;
}

const web = (node: string) => (e: Ev) =>
  e.kind === 'rules-synced' && e.node === node && /default\/web:http -10\.244\.1\./.test(e.detail);

async function nodeScenarios(w: Watch, scale: number, kind: 'link-down' | 'node-stop'): Promise<Row[]> {
  const g = 50 * scale;
  const tol = 300 * scale;
  const wanted = [
    {
      what: 'heartbeat missed',
      expected: 'at the next lease renewal: ≤ 10 s × scale',
      pred: (e: Ev) => e.kind === 'heartbeat-missed' && e.node === 'node2',
    },
    {
      what: 'node NotReady',
      expected: `grace ${g} s`,
      pred: (e: Ev) => e.kind === 'node-not-ready' && e.node === 'node2',
    },
    {
      what: 'web endpoint on node2 not ready',
      expected: `grace ${g} s`,
      pred: (e: Ev) => e.kind === 'endpoint-not-ready' && /default\/web:http -10\.244\.1\./.test(e.detail),
    },
    { what: "node1's rules without it", expected: `grace ${g} s + sync`, pred: web('node1') },
    { what: "node3's rules without it", expected: `grace ${g} s + sync`, pred: web('node3') },
    {
      what: 'LB health check dropped node2',
      expected: 'fall 2 × 1 s',
      pred: (e: Ev) => e.kind === 'lb-backend-dropped' && e.node === 'node2',
    },
    ...(kind === 'node-stop'
      ? [
          {
            what: 'pods evicted',
            expected: `grace ${g} s + toleration ${tol} s`,
            pred: (e: Ev) => e.kind === 'pod-evicted',
          },
          {
            what: 'replacement started and ready on a Ready node',
            expected: `grace + toleration + pod start`,
            pred: (e: Ev) => e.kind === 'pod-rescheduled',
          },
        ]
      : []),
  ].map((x) => ({ ...x, ms: (g + (kind === 'node-stop' ? tol : 0)) * 1000 + 60_000 }));
  return scenario(w, scale, [kind, 'node2'], wanted);
}

export async function benchFaults(scales = [0.1, 1]): Promise<string> {
  await lab(['down']);
  const up = await lab(['up', '--no-verify']);
  if (up.exitCode !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
  const rows: Row[] = [];
  let recovery: string[] = [];
  const load = os.loadavg();
  try {
    for (const scale of scales) {
      const w = new Watch(scale);
      try {
        await sleep(8000); // its initial sync
        rows.push(
          ...(await scenario(
            w,
            scale,
            ['lb-backend-down', 'node1'],
            [
              {
                what: 'LB health check dropped node1',
                expected: 'fall 2 × 1 s (not scaled)',
                pred: (e) => e.kind === 'lb-backend-dropped' && e.node === 'node1',
                ms: 20_000,
              },
            ],
          )),
        );
        await lab(['fault', 'clear', '--all']);
        await w.waitFor(0, (e) => e.kind === 'lb-backend-restored' && e.node === 'node1', 20_000);
        rows.push(...(await nodeScenarios(w, scale, 'link-down')));
        const c = w.events.length;
        await lab(['fault', 'clear', '--all']);
        await w.waitFor(c, (e) => e.kind === 'node-ready', 30_000);
        await w.waitFor(
          c,
          (e) => e.kind === 'rules-synced' && /default\/web:http \+10\.244\.1\./.test(e.detail),
          30_000,
        );
        if (scale === Math.min(...scales)) {
          // docker restart of node3: the watch sees it running without its links and re-plumbs it
          // (node-repaired), as a kubelet coming back re-creates its pods; then a full verify.
          const from = w.events.length;
          const t0 = Date.now();
          await execa('docker', ['restart', '-t', '1', `k8s-netlab-${LAB}-node3`]);
          const restarted = Date.now();
          const repaired = await w.waitFor(from, (e) => e.kind === 'node-repaired' && e.node === 'node3', 120_000);
          const v = await lab(['verify']);
          const verified = Date.now();
          recovery = [
            `docker restart -t 1 of node3: ${((restarted - t0) / 1000).toFixed(1)} s`,
            repaired
              ? `lab watch re-plumbed it ${((repaired.at - t0) / 1000).toFixed(1)} s after the restart began (${repaired.detail})`
              : 'lab watch did not report node3 repaired within 120 s',
            `lab verify after: exit ${v.exitCode}, ${verifyCount(v.stdout)} probes passed${v.exitCode ? ` (failed: ${failedPaths(v.stdout)})` : ''}, ${((verified - t0) / 1000).toFixed(1)} s from the restart to a verified lab`,
          ];
        }
        if (scale === Math.min(...scales)) rows.push(...(await nodeScenarios(w, scale, 'node-stop')));
      } finally {
        await w.stop();
      }
      if (scale === Math.min(...scales) && scales.length > 1) {
        // node-stop leaves node2 stopped and its pods moved: a fresh lab for the next scale.
        await lab(['down']);
        const again = await lab(['up', '--no-verify']);
        if (again.exitCode !== 0) throw new Error(`lab up failed:\n${again.stderr}`);
      }
    }
  } finally {
    await lab(['down']);
  }
  const busy = load[0] > os.cpus().length;
  return [
    `Lab \`${LAB}\` (guide topology, iptables proxy), \`lab watch --json --eviction\` (heartbeats on their own timers); times from \`fault-injected\` to the event. Load average at the start ${load.map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores${busy ? ': **measured under load** (the machine was shared; watch iterations and syncs take longer than on an idle machine)' : ''}. node-stop and eviction only at the smallest scale (at scale 1 eviction takes 350 s).`,
    '',
    mdTable(['fault', 'event', 'expected (Kubernetes defaults × scale)', 'measured'], rows),
    '',
    '### Recovery after `docker restart` of a node',
    '',
    ...recovery.map((l) => `- ${l}`),
  ].join('\n');
}
