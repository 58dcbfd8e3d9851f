/**
 * lab watch playing along with faults, on fakes: a node whose link is observed down on the VPC
 * router misses its heartbeat and goes NotReady (its container still runs); a node whose
 * kube-proxy is stuck is left out of every sync while the others follow the endpoints, and is
 * synced again once the fault is gone. The fault view comes from a fake VPC router's output.
 */
import type { LabModel } from '../../../src/model/types';
import { fixtureModel } from '../../fixtures/model';
import { webService } from '../../fixtures/web-service';
import { parseFaultView } from '../../../src/lab/faults/watch-view';

const synced: Array<{ ready: string[]; skip: string[] }> = [];
let model: LabModel;
let vpcOut = '';
let unready = new Set<string>();

type Fakes = typeof import('./fakes');
const fakes = () => jest.requireActual<Fakes>('./fakes');

jest.mock('../../../src/lab/state', () => ({ readModel: async () => model }));
jest.mock('../../../src/runtime/containers', () => fakes().containersFake(() => fakes().allRunning(model)));
jest.mock('../../../src/runtime/exec', () => ({
  exec: async () => ({ stdout: vpcOut, stderr: '', exitCode: 0, failed: false, container: 'vpc', command: '' }),
}));
jest.mock('../../../src/lab/kubelet', () =>
  fakes().kubeletFake((pod) => ({ alive: true, ready: !unready.has(pod.name) })),
);
jest.mock('../../../src/lab/proxy', () => ({
  podKey: (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`,
  syncProxy: async (_m: LabModel, o: { ready: Set<string>; skipNodes?: Set<string> }) => {
    synced.push({ ready: [...o.ready].sort(), skip: [...(o.skipNodes ?? [])].sort() });
    return { states: new Map(), nodes: [], endpoints: [] };
  },
}));

import { watchLab } from '../../../src/lab/watch/loop';
import type { WatchEvent } from '../../../src/report/timeline';

const LINKS = (downIface?: string) =>
  ['v-node1', 'v-node2', 'v-node3']
    .map(
      (i, k) =>
        `${k + 5}: ${i}@if2: <BROADCAST,MULTICAST${i === downIface ? '' : ',UP,LOWER_UP'}> mtu 1500 qdisc noqueue master br-subnet-a state ${i === downIface ? 'DOWN' : 'UP'}`,
    )
    .join('\n');
const store = (active: Array<{ id: string; kind: string; target: string }>) =>
  JSON.stringify({ active, highest: active.length, cleared: [] });
const view = (active: Array<{ id: string; kind: string; target: string }>, down?: string) =>
  `${store(active)}\n---K8S-NETLAB-LINKS---\n${LINKS(down)}`;

function webModel(): LabModel {
  const m = fixtureModel();
  for (const p of m.pods) p.labels = { app: 'web' };
  m.services = [webService({ clusterIP: '10.96.0.20' })];
  return m;
}

async function runFor(ms: number, during?: (elapsed: number) => void): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  const control = { stopped: false as boolean, wake: undefined as undefined | (() => void) };
  const t0 = Date.now();
  const tick = setInterval(() => {
    during?.(Date.now() - t0);
    if (Date.now() - t0 >= ms) {
      control.stopped = true;
      control.wake?.();
    }
  }, 10);
  await watchLab({
    lab: 'x',
    intervalMs: 20,
    timeScale: 0.01, // grace 0.5 s, unready after 0.3 s
    cniCheckMs: 0,
    control,
    log: () => undefined,
    onEvent: (e) => events.push(e),
  });
  clearInterval(tick);
  return events;
}

beforeEach(() => {
  synced.length = 0;
  unready = new Set();
  model = webModel();
});

describe('parseFaultView', () => {
  it('reads proxy-stuck records and links without the UP flag', () => {
    const v = parseFaultView(view([{ id: 'f2', kind: 'proxy-stuck', target: 'node3' }], 'v-node2'), webModel());
    expect([...v.stuck]).toEqual([['node3', 'f2']]);
    expect([...v.linkDown.keys()]).toEqual(['node2']);
    const none = parseFaultView(view([]), webModel());
    expect(none.stuck.size + none.linkDown.size).toBe(0);
    // nothing readable: no fault assumed
    expect(parseFaultView('garbage', webModel()).linkDown.size).toBe(0);
  });
});

describe('watchLab with faults', () => {
  it('link-down: heartbeat missed with the link as reason, NotReady after the grace, the node skipped', async () => {
    vpcOut = view([{ id: 'f1', kind: 'link-down', target: 'node2' }], 'v-node2');
    const events = await runFor(1500);
    const n2 = events.filter((e) => e.node === 'node2');
    expect(n2.map((e) => e.kind)).toEqual(['heartbeat-missed', 'node-not-ready']);
    expect(n2[0].detail).toMatch(/link v-node2 down on the VPC router/);
    expect(n2[1].at - n2[0].at).toBeGreaterThanOrEqual(450);
    expect(synced[synced.length - 1].skip).toEqual(['node2']);
    expect(synced[synced.length - 1].ready).not.toContain('default/pod3');
  });
  it('proxy-stuck: the stuck node is skipped by the sync of a change, synced again once cleared', async () => {
    vpcOut = view([{ id: 'f1', kind: 'proxy-stuck', target: 'node3' }]);
    const events = await runFor(2000, (t) => {
      if (t > 300) unready.add('pod1');
      if (t > 1200) vpcOut = view([]);
    });
    const change = synced.findIndex((s) => !s.ready.includes('default/pod1'));
    expect(change).toBeGreaterThan(0);
    expect(synced[change].skip).toEqual(['node3']);
    // After the clear: a sync with no node skipped, pod1 still out.
    const last = synced[synced.length - 1];
    expect(last.skip).toEqual([]);
    expect(last.ready).not.toContain('default/pod1');
    expect(events.some((e) => e.kind === 'node-not-ready')).toBe(false);
  });
  it('fails without the fault: nothing skipped, the change reaches every node', async () => {
    vpcOut = view([]);
    await runFor(1000, (t) => {
      if (t > 200) unready.add('pod1');
    });
    expect(synced.every((s) => s.skip.length === 0)).toBe(true);
    expect(synced[synced.length - 1].ready).not.toContain('default/pod1');
  });
});
