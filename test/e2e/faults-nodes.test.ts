/**
 * Node-side faults on a running guide lab under `lab watch --json --time-scale 0.1`: link-down
 * (node2's link on the VPC router down: heartbeat missed, NotReady after node-monitor-grace-period
 * 50 s × 0.1, its endpoints out of the other nodes' rules) and proxy-stuck (node3's kube-proxy
 * stops syncing: when node2's link goes down, node1 drops its endpoints and node3 keeps sending to them
 * until the fault is cleared). Each: inject, timeline in order, the paths fail, clear, they pass.
 */
import { lab, labName } from './helpers';
import { WatchRecorder, sleep, startWatch, verifyPath } from './watch-events';
import { eventually } from './eventually';

jest.setTimeout(900_000);

const name = labName('o-faults-nodes');
const SCALE = 0.1;
const GRACE_MS = 50_000 * SCALE;

let w: WatchRecorder;

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
  w = startWatch(name, ['--no-eviction', '--time-scale', String(SCALE)]);
  await sleep(6000); // its initial sync
});

afterEach(async () => {
  await lab(['fault', 'clear', '--all', '--name', name]);
});

afterAll(async () => {
  await w?.stop();
  await lab(['down', '--name', name]);
});

it("link-down: heartbeat missed (the link), NotReady after the grace, endpoints out of the other nodes' rules; clear heals", async () => {
  const from = w.mark();
  const inj = await lab(['fault', 'inject', 'link-down', 'node2', '--name', name]);
  expect(inj.exitCode).toBe(0);
  const injected = await w.waitFor(from, (e) => e.kind === 'fault-injected' && e.node === 'node2', 'fault-injected');
  const missed = await w.waitFor(from, (e) => e.kind === 'heartbeat-missed' && e.node === 'node2', 'heartbeat-missed');
  expect(missed.detail).toMatch(/link v-node2 down on the VPC router/);
  const notReady = await w.waitFor(from, (e) => e.kind === 'node-not-ready' && e.node === 'node2', 'node-not-ready');
  const epOut = await w.waitFor(
    from,
    (e) => e.kind === 'endpoint-not-ready' && /default\/web:http -10\.244\.1\.\d+:8080 \(not ready\)/.test(e.detail),
    'web endpoint on node2 not ready',
  );
  const rules = await Promise.all(
    ['node1', 'node3'].map((n) =>
      w.waitFor(
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
  expect(w.events.slice(from).some((e) => e.kind === 'rules-synced' && e.node === 'node2')).toBe(false);
  const during = await verifyPath(name, 'pod-to-pod-cross-node');
  expect(during.ok).toBe(false);
  expect(during.fails.every((l) => /node2/.test(l))).toBe(true);
  const c = w.mark();
  expect((await lab(['fault', 'clear', '--all', '--name', name])).exitCode).toBe(0);
  await w.waitFor(c, (e) => e.kind === 'node-ready' && e.node === 'node2', 'node-ready');
  await w.waitFor(
    c,
    (e) => e.kind === 'rules-synced' && e.node === 'node1' && /default\/web:http \+10\.244\.1\./.test(e.detail),
    'web endpoint back in node1 rules',
  );
  expect((await verifyPath(name, 'pod-to-pod-cross-node')).ok).toBe(true);
  process.stdout.write(
    `link-down timeline (scale ${SCALE}): heartbeat-missed +${missed.at - injected.at}ms, NotReady +${notReady.at - injected.at}ms, endpoint out +${epOut.at - injected.at}ms, rules ${rules.map((r) => `${r.node} +${r.at - injected.at}ms`).join(' ')}\n`,
  );
});

it("proxy-stuck: node3's rules stay stale (it keeps sending to a cut-off node's pod) while node1's follow; clear heals", async () => {
  const from = w.mark();
  expect((await lab(['fault', 'inject', 'proxy-stuck', 'node3', '--name', name])).exitCode).toBe(0);
  const freeze = await lab(['fault', 'inject', 'link-down', 'node2', '--name', name]);
  expect(`${freeze.exitCode} ${freeze.stderr}`).toBe('0 ');
  await w.waitFor(from, (e) => e.kind === 'node-not-ready' && e.node === 'node2', 'node2 NotReady');
  const n1 = await w.waitFor(
    from,
    (e) => e.kind === 'rules-synced' && e.node === 'node1' && /default\/web:http -10\.244\.1\./.test(e.detail),
    'node1 rules without node2',
  );
  expect(w.events.slice(from).some((e) => e.kind === 'rules-synced' && e.node === 'node3')).toBe(false);
  await sleep(Math.max(0, n1.at + 1000 - Date.now()));
  // After node1 healed: node1 no error, node3 still sends to node2's pod (about half its requests).
  const stale = await load(4);
  const src = (s: string) => stale.sources.find((x) => x.source === s)!;
  expect(src('node1').ok).toBe(src('node1').requests);
  expect(src('node3').requests - src('node3').ok).toBeGreaterThan(0);
  expect(Object.keys(src('node3').errors).filter((k) => k !== 'timeout' && k !== 'unreachable')).toEqual([]);
  const during = await verifyPath(name, 'pod-to-service');
  expect(during.ok).toBe(false);
  // Clear proxy-stuck only: node3 is synced with today's endpoints, its errors stop.
  const id = /^(f\d+) +proxy-stuck/m.exec((await lab(['fault', 'list', '--name', name])).stdout)![1];
  const c = w.mark();
  expect((await lab(['fault', 'clear', id, '--name', name])).exitCode).toBe(0);
  await w.waitFor(c, (e) => e.kind === 'rules-synced' && e.node === 'node3', 'node3 synced again');
  const healed = await load(3);
  expect(healed.sources.find((x) => x.source === 'node3')!.ok).toBe(30);
  expect((await lab(['fault', 'clear', '--all', '--name', name])).exitCode).toBe(0);
  await w.waitFor(c, (e) => e.kind === 'node-ready' && e.node === 'node2', 'node2 Ready');
  await w.waitFor(
    c,
    (e) => e.kind === 'rules-synced' && e.node === 'node3' && /default\/web:http \+10\.244\.1\./.test(e.detail),
    'node2 endpoint back in node3 rules',
  );
  // Healed: every node's rules converge after the clear (the watch syncs them as it sees node2's pods ready).
  let last = { ok: false, fails: [] as string[], why: [] as string[] };
  await eventually(
    'pod-to-service passing after the clear',
    async () => (last = await verifyPath(name, 'pod-to-service')).ok,
    {
      everyMs: 1000,
      explain: () => last.why.join('\n'),
    },
  );
  process.stdout.write(
    `proxy-stuck node3 with node2's link down: node1 ${src('node1').ok}/${src('node1').requests} ok, node3 ${src('node3').ok}/${src('node3').requests} ok (stale rules); after clear node3 30/30\n`,
  );
});
