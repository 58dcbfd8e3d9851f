/**
 * Node-side faults on a running guide lab under `lab watch --json --time-scale 0.1`: link-down
 * (node2's link on the VPC router down: heartbeat missed, NotReady after node-monitor-grace-period
 * 50 s × 0.1, its endpoints out of the other nodes' rules) and proxy-stuck (node3's kube-proxy
 * stops syncing: when node2's link goes down, node1 drops its endpoints and node3 keeps sending to them
 * until the fault is cleared). Each: inject, timeline in order, the paths fail, clear, they pass.
 */
import execa from 'execa';
import { LAB_BIN, ROOT, lab, labName } from './helpers';

jest.setTimeout(900_000);

const name = labName('o-faults-nodes');
const SCALE = 0.1;
const GRACE_MS = 50_000 * SCALE;

interface Ev {
  kind: string;
  node?: string;
  detail: string;
  at: number;
}

const events: Ev[] = [];
let watch: execa.ExecaChildProcess | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(from: number, pred: (e: Ev) => boolean, what: string, ms = 90_000): Promise<Ev> {
  const end = Date.now() + ms;
  for (;;) {
    const e = events.slice(from).find(pred);
    if (e) return e;
    if (Date.now() > end)
      throw new Error(
        `no ${what} within ${ms} ms; events: ${events
          .slice(from)
          .map((x) => `${x.kind} ${x.node ?? ''} ${x.detail}`)
          .join(' | ')}`,
      );
    await sleep(200);
  }
}

async function verifyPath(p: string) {
  const r = await lab(['verify', '--name', name, '--path', p]);
  return {
    ok: r.exitCode === 0,
    fails: r.stdout
      .split('\n')
      .filter((l) => /^ {2}FAIL/.test(l))
      .map((l) => l.trim()),
  };
}

interface LoadJson {
  sources: Array<{ source: string; requests: number; ok: number; errors: Record<string, number> }>;
}
async function load(seconds: number): Promise<LoadJson> {
  const r = await lab(['load', 'web', '--duration', String(seconds), '--name', name, '--json']);
  if (r.exitCode !== 0) throw new Error(`lab load: ${r.stderr}`);
  return JSON.parse(r.stdout) as LoadJson;
}

beforeAll(async () => {
  expect((await lab(['up', '--name', name, '--no-verify'])).exitCode).toBe(0);
  watch = execa('node', [LAB_BIN, 'watch', '--name', name, '--json', '--time-scale', String(SCALE)], {
    cwd: ROOT,
    reject: false,
  });
  let buf = '';
  watch.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.startsWith('{')) events.push(JSON.parse(line) as Ev);
    }
  });
  await sleep(6000); // its initial sync
});

afterEach(async () => {
  await lab(['fault', 'clear', '--all', '--name', name]);
});

afterAll(async () => {
  watch?.kill('SIGINT');
  await watch?.catch(() => undefined);
  await lab(['down', '--name', name]);
});

it("link-down: heartbeat missed (the link), NotReady after the grace, endpoints out of the other nodes' rules; clear heals", async () => {
  const from = events.length;
  const inj = await lab(['fault', 'inject', 'link-down', 'node2', '--name', name]);
  expect(inj.exitCode).toBe(0);
  const injected = await waitFor(from, (e) => e.kind === 'fault-injected' && e.node === 'node2', 'fault-injected');
  const missed = await waitFor(from, (e) => e.kind === 'heartbeat-missed' && e.node === 'node2', 'heartbeat-missed');
  expect(missed.detail).toMatch(/link v-node2 down on the VPC router/);
  const notReady = await waitFor(from, (e) => e.kind === 'node-not-ready' && e.node === 'node2', 'node-not-ready');
  const epOut = await waitFor(
    from,
    (e) => e.kind === 'endpoint-not-ready' && /default\/web:http -10\.244\.1\.\d+:8080 \(not ready\)/.test(e.detail),
    'web endpoint on node2 not ready',
  );
  const rules = await Promise.all(
    ['node1', 'node3'].map((n) =>
      waitFor(
        from,
        (e) => e.kind === 'rules-synced' && e.node === n && /default\/web:http -10\.244\.1\./.test(e.detail),
        `rules-synced ${n}`,
      ),
    ),
  );
  expect(missed.at).toBeGreaterThanOrEqual(injected.at - 1000);
  expect(Number(/no heartbeat for ([\d.]+)s/.exec(notReady.detail)![1]) * 1000).toBeGreaterThanOrEqual(GRACE_MS);
  expect(epOut.at).toBeGreaterThanOrEqual(notReady.at);
  for (const r of rules) expect(r.at).toBeGreaterThanOrEqual(epOut.at);
  expect(events.slice(from).some((e) => e.kind === 'rules-synced' && e.node === 'node2')).toBe(false);
  const during = await verifyPath('pod-to-pod-cross-node');
  expect(during.ok).toBe(false);
  expect(during.fails.every((l) => /node2/.test(l))).toBe(true);
  const c = events.length;
  expect((await lab(['fault', 'clear', '--all', '--name', name])).exitCode).toBe(0);
  await waitFor(c, (e) => e.kind === 'node-ready' && e.node === 'node2', 'node-ready');
  await waitFor(
    c,
    (e) => e.kind === 'rules-synced' && e.node === 'node1' && /default\/web:http \+10\.244\.1\./.test(e.detail),
    'web endpoint back in node1 rules',
  );
  expect((await verifyPath('pod-to-pod-cross-node')).ok).toBe(true);
  process.stdout.write(
    `link-down timeline (scale ${SCALE}): heartbeat-missed +${missed.at - injected.at}ms, NotReady +${notReady.at - injected.at}ms, endpoint out +${epOut.at - injected.at}ms, rules ${rules.map((r) => `${r.node} +${r.at - injected.at}ms`).join(' ')}\n`,
  );
});

it("proxy-stuck: node3's rules stay stale (it keeps sending to a cut-off node's pod) while node1's follow; clear heals", async () => {
  const from = events.length;
  expect((await lab(['fault', 'inject', 'proxy-stuck', 'node3', '--name', name])).exitCode).toBe(0);
  const freeze = await lab(['fault', 'inject', 'link-down', 'node2', '--name', name]);
  expect(`${freeze.exitCode} ${freeze.stderr}`).toBe('0 ');
  await waitFor(from, (e) => e.kind === 'node-not-ready' && e.node === 'node2', 'node2 NotReady');
  const n1 = await waitFor(
    from,
    (e) => e.kind === 'rules-synced' && e.node === 'node1' && /default\/web:http -10\.244\.1\./.test(e.detail),
    'node1 rules without node2',
  );
  expect(events.slice(from).some((e) => e.kind === 'rules-synced' && e.node === 'node3')).toBe(false);
  await sleep(Math.max(0, n1.at + 1000 - Date.now()));
  // After node1 healed: node1 no error, node3 still sends to node2's pod (about half its requests).
  const stale = await load(4);
  const src = (s: string) => stale.sources.find((x) => x.source === s)!;
  expect(src('node1').ok).toBe(src('node1').requests);
  expect(src('node3').requests - src('node3').ok).toBeGreaterThan(0);
  expect(Object.keys(src('node3').errors).filter((k) => k !== 'timeout' && k !== 'unreachable')).toEqual([]);
  const during = await verifyPath('pod-to-service');
  expect(during.ok).toBe(false);
  // Clear proxy-stuck only: node3 is synced with today's endpoints, its errors stop.
  const id = /^(f\d+) +proxy-stuck/m.exec((await lab(['fault', 'list', '--name', name])).stdout)![1];
  const c = events.length;
  expect((await lab(['fault', 'clear', id, '--name', name])).exitCode).toBe(0);
  await waitFor(c, (e) => e.kind === 'rules-synced' && e.node === 'node3', 'node3 synced again');
  const healed = await load(3);
  expect(healed.sources.find((x) => x.source === 'node3')!.ok).toBe(30);
  expect((await lab(['fault', 'clear', '--all', '--name', name])).exitCode).toBe(0);
  await waitFor(c, (e) => e.kind === 'node-ready' && e.node === 'node2', 'node2 Ready');
  await waitFor(
    c,
    (e) => e.kind === 'rules-synced' && e.node === 'node3' && /default\/web:http \+10\.244\.1\./.test(e.detail),
    'node2 endpoint back in node3 rules',
  );
  expect((await verifyPath('pod-to-service')).ok).toBe(true);
  process.stdout.write(
    `proxy-stuck node3 with node2's link down: node1 ${src('node1').ok}/${src('node1').requests} ok, node3 ${src('node3').ok}/${src('node3').requests} ok (stale rules); after clear node3 30/30\n`,
  );
});
