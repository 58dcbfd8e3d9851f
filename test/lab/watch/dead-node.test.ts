/**
 * lab watch with a node that stops answering, on fakes (no engine): the heartbeat is missed at
 * once, the node's pods keep their endpoints until NotReady after the grace period, the silent
 * node is never synced, and no iteration ends in an error line (not even the one it died during).
 */
import type { LabModel } from '../../../src/model/types';
import { fixtureModel } from '../../fixtures/model';
import { webService } from '../../fixtures/web-service';

const engine = new Map<string, string>();
const synced: Array<{ ready: string[]; skip: string[] }> = [];
let model: LabModel;
let observations = 0;
/** The node that dies during the 5th observation (mid-exec, as `docker kill` does). */
let dying: string | undefined;
/** 'exited': the exec fails at once (409); 'paused': it never returns (a frozen exec). */
let how: 'exited' | 'paused' = 'exited';

type Fakes = typeof import('./fakes');
const fakes = () => jest.requireActual<Fakes>('./fakes');

jest.mock('../../../src/lab/state', () => ({ readModel: async () => model }));
jest.mock('../../../src/runtime/containers', () => fakes().containersFake(() => engine));
jest.mock('../../../src/lab/kubelet', () => ({
  observePods: async (m: LabModel) => {
    if (++observations === 5 && dying) {
      engine.set(dying, how);
      if (how === 'paused') return new Promise(() => undefined);
    }
    // as the engine does: exec into a stopped node fails
    for (const n of m.nodes)
      if (engine.get(n.container) !== 'running')
        throw new Error(`(HTTP code 409) container ${n.container} is not running`);
    return m.pods.map((pod) => ({
      pod,
      alive: true,
      ready: true,
      containers: pod.containers.map((c) => ({ netns: pod.netns, container: c.name, alive: true, ready: true })),
    }));
  },
  restartContainers: async () => [],
  restartContainer: async () => undefined,
  runProbes: async () => [],
  checkPodNetworks: async () => new Map(),
}));
jest.mock('../../../src/lab/proxy', () => ({
  podKey: (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`,
  syncProxy: async (_m: LabModel, o: { ready: Set<string>; skipNodes?: Set<string> }) => {
    synced.push({ ready: [...o.ready].sort(), skip: [...(o.skipNodes ?? [])] });
    return { states: new Map(), nodes: [], endpoints: [] };
  },
}));

import { watchLab } from '../../../src/lab/watch/loop';
import type { WatchEvent } from '../../../src/report/timeline';

describe('watchLab with a dead node', () => {
  afterEach(() => {
    observations = 0;
    synced.length = 0;
    engine.clear();
  });
  it.each(['exited', 'paused'] as const)(
    '(%s mid-observation) NotReady after grace × time-scale, endpoints kept until then, the dead node never synced, no error line',
    async (state) => {
      how = state;
      model = fixtureModel();
      for (const p of model.pods) p.labels = { app: 'web' };
      model.services = [webService({ clusterIP: '10.96.0.20' })];
      for (const n of model.nodes) engine.set(n.container, 'running');
      const dead = model.nodes[1];
      dying = dead.container;
      const onDead = model.pods.filter((p) => p.node === dead.name).map((p) => `${p.namespace}/${p.name}`);
      expect(onDead.length).toBeGreaterThan(0);
      const lines: string[] = [];
      const events: WatchEvent[] = [];
      const control = { stopped: false as boolean, wake: undefined as undefined | (() => void) };
      let i = 0;
      const run = watchLab({
        lab: 'x',
        intervalMs: 20,
        timeScale: 0.02, // grace 1 s
        cniCheckMs: 0, // CNI CHECK is not what this test is about
        control,
        log: (l) => {
          lines.push(l);
        },
        onEvent: (e) => {
          events.push(e);
        },
      });
      const tick = setInterval(() => {
        i++;
        if (i === 150) {
          control.stopped = true;
          control.wake?.();
        }
      }, 20);
      await run;
      clearInterval(tick);
      const kinds = events.filter((e) => e.node === dead.name).map((e) => e.kind);
      expect(kinds).toEqual(['heartbeat-missed', 'node-not-ready']);
      const missed = events.find((e) => e.kind === 'heartbeat-missed')!;
      const nr = events.find((e) => e.kind === 'node-not-ready')!;
      // Grace counted from the last lease renewal (every 10 s × scale = 200 ms, later when a round
      // runs late), not from the miss, which comes one renewal round after it.
      expect(Number(/no heartbeat for ([\d.]+)s/.exec(nr.detail)![1])).toBeGreaterThanOrEqual(1.0);
      expect(nr.at - missed.at).toBeGreaterThan(0);
      expect(nr.at - missed.at).toBeLessThan(1000 + 500);
      expect(nr.detail).toMatch(new RegExp(`node container ${state}`));
      expect(lines.filter((l) => / error: /.test(l))).toEqual([]);
      // Every sync after the death skipped the dead node; the last one has its pods not ready.
      const after = synced.filter((s) => s.skip.length);
      expect(after.length).toBeGreaterThan(0);
      for (const s of after) expect(s.skip).toEqual([dead.name]);
      for (const k of onDead) expect(synced[synced.length - 1].ready).not.toContain(k);
      for (const k of onDead) expect(synced[0].ready).toContain(k);
    },
  );
});
