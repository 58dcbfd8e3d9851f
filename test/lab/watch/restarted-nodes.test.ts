/**
 * lab watch and a node container that runs again without its links, on fakes: the VPC router has
 * no port for node2 while its container runs. The watch re-plumbs it once (under the lab's lock),
 * says so in a node-repaired event, and node2 answers again; its pods are never restarted while it
 * has no links. With --no-node-repair, or while another command holds the lock, nothing is
 * repaired and node2 stays silent (NotReady after the grace).
 */
import type { LabModel, NodeModel } from '../../../src/model/types';
import { fixtureModel } from '../../fixtures/model';
import { parseFaultView } from '../../../src/lab/faults/watch-view';

let model: LabModel;
let plumbed = new Set<string>();
const restarts: string[] = [];

type Fakes = typeof import('./fakes');
const fakes = () => jest.requireActual<Fakes>('./fakes');

jest.mock('../../../src/lab/state', () => ({ readModel: async () => model }));
jest.mock('../../../src/runtime/containers', () => fakes().containersFake(() => fakes().allRunning(model)));
// The VPC router: `ip -o link show` lists the ports of the plumbed nodes only.
jest.mock('../../../src/runtime/exec', () => ({
  exec: async () => ({
    stdout: `{"active":[],"highest":0,"cleared":[]}\n---K8S-NETLAB-LINKS---\n1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN\n${[
      ...plumbed,
    ]
      .map((n, i) => `${i + 5}: v-${n}@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP`)
      .join('\n')}`,
    stderr: '',
    exitCode: 0,
    failed: false,
    container: 'vpc',
    command: '',
  }),
}));
jest.mock('../../../src/lab/kubelet', () =>
  // A node without links: its pods' processes are gone (as after a restart).
  fakes().kubeletFake((pod) => ({ alive: plumbed.has(pod.node), ready: plumbed.has(pod.node) }), {
    restartContainers: async (_m: LabModel, o: { pod: { name: string; containers: Array<{ name: string }> } }) => {
      restarts.push(o.pod.name);
      return o.pod.containers.map((c) => c.name);
    },
  }),
);
jest.mock('../../../src/lab/proxy', () => ({
  podKey: (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`,
  syncProxy: async () => ({ states: new Map(), nodes: [], endpoints: [] }),
}));

import { watchLab } from '../../../src/lab/watch/loop';
import { restartedNodes } from '../../../src/lab/watch/restarted-nodes';
import type { WatchEvent } from '../../../src/report/timeline';

async function run(opts: { repair?: boolean; lockBusy?: boolean; ms: number }) {
  model = fixtureModel();
  plumbed = new Set(['node1', 'node3']); // node2 restarted: running, no port on the router
  restarts.length = 0;
  const repairs: string[][] = [];
  const events: WatchEvent[] = [];
  const lines: string[] = [];
  const control = { stopped: false as boolean, wake: undefined as undefined | (() => void) };
  const done = watchLab({
    lab: 'x',
    intervalMs: 20,
    timeScale: 0.01, // lease 100 ms, grace 0.5 s
    cniCheckMs: 0,
    eviction: false,
    repair: opts.repair,
    repairDeps: {
      lock: async () => {
        if (opts.lockBusy) throw new Error('another `lab up` of lab x is in progress');
        return { release: () => undefined };
      },
      repair: async (_m: LabModel, nodes: NodeModel[]) => {
        repairs.push(nodes.map((n) => n.name));
        for (const n of nodes) plumbed.add(n.name);
        return nodes.map((n) => ({ node: n.name, links: 1, pods: 2, ms: 5 }));
      },
    },
    control,
    log: (l) => lines.push(l),
    onEvent: (e) => events.push(e),
  });
  await new Promise((r) => setTimeout(r, opts.ms));
  control.stopped = true;
  control.wake?.();
  const stats = await done;
  return { repairs, events, lines, stats };
}

it('restartedNodes: running nodes without a port on the VPC router, not paused or stopped ones', () => {
  const m = fixtureModel();
  const view = parseFaultView(
    '\n---K8S-NETLAB-LINKS---\n1: lo: <LOOPBACK,UP> mtu 65536\n5: v-node1@if2: <BROADCAST,UP> mtu 1500\n',
    m,
  );
  const engine = new Map(m.nodes.map((n) => [n.container, n.name === 'node3' ? 'exited' : 'running']));
  expect(restartedNodes(m, engine, view).map((n) => n.name)).toEqual(['node2']);
  expect(restartedNodes(m, new Map(m.nodes.map((n) => [n.container, 'running'])), undefined)).toEqual([]);
});

it('re-plumbs node2 once, emits node-repaired, node2 answers again; no pod restarted into a node without links', async () => {
  const { repairs, events, stats } = await run({ ms: 1500 });
  expect(repairs).toEqual([['node2']]);
  // The heartbeat rounds ran on their own timer (every 100 ms here), beside the loop.
  expect(stats.heartbeatRounds).toBeGreaterThanOrEqual(5);
  const repaired = events.filter((e) => e.kind === 'node-repaired');
  expect(repaired.map((e) => e.node)).toEqual(['node2']);
  expect(repaired[0].detail).toMatch(/1 links re-created, .*2 pods started/);
  expect(events.some((e) => e.kind === 'node-not-ready')).toBe(false);
  expect(restarts.filter((p) => model.pods.find((x) => x.name === p)?.node === 'node2')).toEqual([]);
});

it('--no-node-repair: node2 is never repaired and goes NotReady', async () => {
  const { repairs, events } = await run({ repair: false, ms: 1500 });
  expect(repairs).toEqual([]);
  expect(events.some((e) => e.kind === 'node-repaired')).toBe(false);
  expect(events.find((e) => e.kind === 'node-not-ready')?.node).toBe('node2');
  expect(restarts).toEqual([]);
});

it('while another command holds the lab lock: not repaired, tried again a lease interval later, said once per try', async () => {
  const { repairs, lines, events } = await run({ lockBusy: true, ms: 1000 });
  expect(repairs).toEqual([]);
  const tries = lines.filter((l) => /node-repair: node2 not repaired: another `lab up`/.test(l));
  expect(tries.length).toBeGreaterThanOrEqual(2);
  expect(tries.length).toBeLessThanOrEqual(11); // every 100 ms at most, not every 20 ms iteration
  expect(events.some((e) => e.kind === 'node-repaired')).toBe(false);
});
