/**
 * lab watch's taint-based eviction (on by default) on fakes (no engine): a node stopped stays
 * NotReady; after the not-ready toleration × time-scale its pods are evicted once (the eviction
 * itself is faked here: it is the model change src/lab/workload-ops.ts makes, tested apart), with
 * pod-evicted and pod-rescheduled events; with --no-eviction nothing is evicted.
 */
import type { LabModel, PodModel } from '../../../src/model/types';
import { fixtureModel } from '../../fixtures/model';

const engine = new Map<string, string>();
let model: LabModel;
const evictions: Array<{ node: string; at: number; unschedulable: string[] }> = [];

type Fakes = typeof import('./fakes');
const fakes = () => jest.requireActual<Fakes>('./fakes');

jest.mock('../../../src/lab/state', () => ({ readModel: async () => model }));
jest.mock('../../../src/runtime/containers', () => fakes().containersFake(() => engine));
jest.mock('../../../src/runtime/exec', () => ({
  exec: async () => ({ stdout: '', stderr: '', exitCode: 1, failed: true, container: 'vpc', command: '' }),
}));
jest.mock('../../../src/lab/kubelet', () => fakes().kubeletFake());
jest.mock('../../../src/lab/proxy', () => ({
  podKey: (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`,
  syncProxy: async () => ({ states: new Map(), nodes: [], endpoints: [] }),
}));
jest.mock('../../../src/lab/evict', () => ({
  cleanUpEvicted: async () => undefined,
  evictNodePods: async (m: LabModel, node: string, unschedulable: Set<string>) => {
    evictions.push({ node, at: Date.now(), unschedulable: [...unschedulable] });
    const evicted = m.pods.filter((p) => p.node === node);
    const moved: PodModel[] = evicted.map((p) => ({ ...p, name: `${p.name}-new`, node: 'node1' }));
    return {
      model: { ...m, pods: [...m.pods.filter((p) => p.node !== node), ...moved] },
      evicted,
      rescheduled: moved.map((p, i) => ({ pod: p, replaces: evicted[i] })),
    };
  },
}));

import { watchLab } from '../../../src/lab/watch/loop';
import type { WatchEvent } from '../../../src/report/timeline';

async function run(eviction: boolean | undefined, ms: number): Promise<WatchEvent[]> {
  model = fixtureModel();
  for (const n of model.nodes) engine.set(n.container, 'running');
  engine.set(model.nodes[1].container, 'exited');
  const events: WatchEvent[] = [];
  const control = { stopped: false as boolean, wake: undefined as undefined | (() => void) };
  const done = watchLab({
    lab: 'x',
    intervalMs: 20,
    timeScale: 0.002, // grace 100 ms, toleration 600 ms
    cniCheckMs: 0,
    eviction,
    control,
    log: () => undefined,
    onEvent: (e) => {
      events.push(e);
    },
  });
  await new Promise((r) => setTimeout(r, ms));
  control.stopped = true;
  control.wake?.();
  await done;
  return events;
}

afterEach(() => {
  evictions.length = 0;
  engine.clear();
});

it('eviction: the NotReady node’s pods are evicted once, after the toleration, with the node unschedulable', async () => {
  const events = await run(true, 1500);
  const nr = events.find((e) => e.kind === 'node-not-ready' && e.node === 'node2')!;
  expect(nr).toBeDefined();
  expect(evictions.map((e) => [e.node, e.unschedulable])).toEqual([['node2', ['node2']]]);
  expect(evictions[0].at - nr.at).toBeGreaterThanOrEqual(600);
  const evicted = events.filter((e) => e.kind === 'pod-evicted');
  expect(evicted.length).toBe(fixtureModel().pods.filter((p) => p.node === 'node2').length);
  expect(evicted[0].detail).toMatch(/toleration node\.kubernetes\.io\/not-ready:NoExecute 0\.6s ran out/);
  expect(events.filter((e) => e.kind === 'pod-rescheduled').every((e) => e.node === 'node1')).toBe(true);
});

it('by default (eviction not set) the pods are evicted, as in Kubernetes', async () => {
  const events = await run(undefined, 1500);
  expect(evictions.map((e) => e.node)).toEqual(['node2']);
  expect(events.some((e) => e.kind === 'pod-evicted')).toBe(true);
});

it('--no-eviction: NotReady, nothing evicted', async () => {
  const events = await run(false, 1200);
  expect(events.some((e) => e.kind === 'node-not-ready')).toBe(true);
  expect(evictions).toEqual([]);
  expect(events.some((e) => e.kind === 'pod-evicted')).toBe(false);
});
