/**
 * Taint-based eviction on a running guide lab under `lab watch --time-scale 0.1` (eviction on by default):
 * node2 stopped, NotReady after node-monitor-grace-period 50 s × 0.1, its pods evicted after the
 * not-ready toleration 300 s × 0.1 from then (DefaultNotReadyTolerationSeconds), the web
 * Deployment's replacement started on a Ready node (node3 is excluded by the web pods' affinity:
 * node1), its endpoint in the rules; `lab load web` from node1 and node3 then sees no error.
 */
import { lab, labName } from './helpers';
import { sleep, startWatch } from './watch-events';

jest.setTimeout(600_000);

const name = labName('eviction');
const SCALE = 0.1;

beforeAll(async () => {
  expect((await lab(['up', '--name', name, '--no-verify'])).exitCode).toBe(0);
});

afterAll(async () => {
  await lab(['down', '--name', name]);
});

it('node-stop node2: pods evicted after grace + toleration (× 0.1), web replaced on node1, no request fails after', async () => {
  const w = startWatch(name, ['--time-scale', String(SCALE)]); // eviction is on by default;
  try {
    await sleep(6000);
    expect((await lab(['fault', 'inject', 'node-stop', 'node2', '--name', name])).exitCode).toBe(0);
    const injected = await w.waitFor(0, (e) => e.kind === 'fault-injected', 'fault-injected');
    const notReady = await w.waitFor(0, (e) => e.kind === 'node-not-ready' && e.node === 'node2', 'node2 NotReady');
    const evicted = await w.waitFor(0, (e) => e.kind === 'pod-evicted' && e.node === 'node2', 'a pod evicted');
    expect(evicted.at - notReady.at).toBeGreaterThanOrEqual(300_000 * SCALE);
    const web = await w.waitFor(
      0,
      (e) => e.kind === 'pod-rescheduled' && /^default\/web-/.test(e.detail),
      'web replacement started',
    );
    expect(web.node).toBe('node1');
    // Bare pods (pod3, pod4) are evicted and not replaced, as in Kubernetes.
    const gone = w.events.filter((e) => e.kind === 'pod-evicted').map((e) => e.detail.split(':')[0]);
    expect(gone).toEqual(expect.arrayContaining(['default/pod3', 'default/pod4']));
    const ip = /\((10\.244\.0\.\d+)\)/.exec(web.detail)![1];
    await w.waitFor(
      0,
      (e) => e.kind === 'rules-synced' && e.node === 'node3' && e.detail.includes(`+${ip}:8080`),
      'the replacement in node3 rules',
    );
    const r = await lab(['load', 'web', '--duration', '3', '--name', name, '--json']);
    expect(r.exitCode).toBe(0);
    const load = JSON.parse(r.stdout) as {
      sources: Array<{ source: string; requests: number; ok: number; errors: Record<string, number> }>;
    };
    for (const s of load.sources.filter((x) => x.source !== 'node2'))
      expect([s.source, s.ok, s.errors]).toEqual([s.source, s.requests, {}]);
    process.stdout.write(
      `eviction (scale ${SCALE}): NotReady +${notReady.at - injected.at}ms, evicted +${evicted.at - injected.at}ms (${evicted.at - notReady.at}ms after NotReady, toleration ${300 * SCALE}s), web replacement on ${web.node} +${web.at - injected.at}ms; load after: ${load.sources.map((s) => `${s.source} ${s.ok}/${s.requests}`).join(', ')}\n`,
    );
  } finally {
    await w.stop();
  }
});
