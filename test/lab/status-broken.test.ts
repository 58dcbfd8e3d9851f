/**
 * lab status on fakes: a node container that runs but whose namespace lacks the links the model
 * gave it (as after `docker restart`) is broken, never running, with what is missing and the fix;
 * a node whose links are all there is Ready; a node that could not be observed is Unknown.
 */
import type { LabModel } from '../../src/model/types';
import { fixtureModel } from '../fixtures/model';
import { brokenNodeStatus, linkNames, nodePlumbing } from '../../src/lab/node-plumbing';

let model: LabModel;
/** What `ip -o link show` lists in each node container (by container name); absent: the exec fails. */
let links: Record<string, string[] | undefined> = {};
const alivePids = true;

jest.mock('../../src/runtime/containers', () => ({
  listLabContainers: async () =>
    [...model.nodes.map((n) => n.container), model.vpc.container].map((c) => ({
      name: c,
      state: 'running',
      id: c,
      lab: 't',
      role: c.endsWith('vpc') ? 'vpc' : 'node',
      labels: {},
    })),
}));
/** The VPC router: its `ip -o link show` and the fault store; absent: its exec fails. */
let router: { links: string; faults: string } | undefined;

jest.mock('../../src/runtime/exec', () => ({
  exec: async (container: string, argv: string[]) => {
    if (container === model.vpc.container) {
      if (!router)
        return { container, command: '', stdout: '', stderr: 'OCI runtime exec failed', exitCode: 126, failed: true };
      const stdout = argv[0] === 'cat' ? router.faults : router.links;
      return { container, command: '', stdout, stderr: '', exitCode: 0, failed: false };
    }
    const l = links[container];
    if (!l)
      return { container, command: '', stdout: '', stderr: 'OCI runtime exec failed', exitCode: 126, failed: true };
    const pods = model.pods
      .filter((p) => model.nodes.find((n) => n.name === p.node)!.container === container)
      .flatMap((p) => p.containers.map((c) => `${p.netns}/${c.name} ${alivePids ? 1 : 0}`));
    const iface = l.map((x, i) => `${i + 2}: ${x}@if${i + 9}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP`);
    const stdout = [
      ...pods,
      `eth0 ${l.includes('eth0') ? 'up' : 'missing'}`,
      '--links--',
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN',
      ...iface,
      '',
    ].join('\n');
    return { container, command: '', stdout, stderr: '', exitCode: 0, failed: false };
  },
}));
jest.mock('../../src/lab/kubelet', () => ({ observePods: async () => [] }));

import { labStatus, renderStatus } from '../../src/lab/status';

/** Every link the model gives `node` in its namespace: eth0, cbr0 and its pods' host veths. */
const healthy = (m: LabModel, node: string) => [
  'eth0',
  'cbr0',
  ...m.pods.filter((p) => p.node === node).map((p) => p.hostVeth),
];

/** The router's links: every node's port up, `down` ones without the UP flag (set down). */
const routerLinks = (down: string[] = []) =>
  [
    '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN',
    ...model.nodes.map((n, i) =>
      down.includes(n.name)
        ? `${i + 5}: ${n.vpcIface}@if2: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN`
        : `${i + 5}: ${n.vpcIface}@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP`,
    ),
  ].join('\n');

beforeEach(() => {
  model = fixtureModel();
  router = undefined;
  links = Object.fromEntries(model.nodes.map((n) => [n.container, healthy(model, n.name)]));
});

describe('node plumbing (pure)', () => {
  it('reads interface names from ip -o link show, without the @peer', () => {
    expect([...linkNames('1: lo: <LOOPBACK>\n2: eth0@if3: <UP>\n7: vethf647a6fa@if2: <UP> master cbr0\n')]).toEqual([
      'lo',
      'eth0',
      'vethf647a6fa',
    ]);
  });
  it('nothing missing: no broken status; eth0 and veths gone: broken, naming them and lab up', () => {
    const m = fixtureModel();
    const node2 = m.nodes[1];
    const all = `2: eth0@if3: <UP>\n${m.pods
      .filter((p) => p.node === 'node2')
      .map((p, i) => `${i + 4}: ${p.hostVeth}@if2: <UP>`)
      .join('\n')}`;
    expect(brokenNodeStatus(nodePlumbing(m, node2, all))).toBeUndefined();
    const p = nodePlumbing(m, node2, '1: lo: <LOOPBACK>');
    expect(p).toEqual({ missingLinks: ['eth0'], missingPods: ['default/pod3', 'default/pod4'], plumbedPods: [] });
    expect(brokenNodeStatus(p)).toBe(
      'NotReady (broken: links eth0 missing, 2 of 2 pod veths missing; lab up repairs it)',
    );
  });
});

describe('labStatus with a node whose links are gone', () => {
  it('every link present: every node Ready and running, every pod running', async () => {
    const s = await labStatus(model);
    expect(s.nodes.map((n) => [n.name, n.state, n.status])).toEqual([
      ['node1', 'running', 'Ready'],
      ['node2', 'running', 'Ready'],
      ['node3', 'running', 'Ready'],
    ]);
    expect(s.pods.every((p) => p.running)).toBe(true);
  });

  it('node2 restarted (container running, no eth0, no pod veth): broken with what is missing and the fix; its pods not running', async () => {
    links[model.nodes[1].container] = [];
    const s = await labStatus(model);
    const n2 = s.nodes.find((n) => n.name === 'node2')!;
    expect(n2.state).toBe('broken');
    expect(n2.status).toBe('NotReady (broken: links eth0 missing, 2 of 2 pod veths missing; lab up repairs it)');
    expect(n2.missing).toEqual({ links: ['eth0'], pods: ['default/pod3', 'default/pod4'] });
    // The pid files said alive: without their veths they are no running pods.
    expect(s.pods.filter((p) => p.node === 'node2').map((p) => p.running)).toEqual([false, false]);
    expect(s.nodes.filter((n) => n.name !== 'node2').map((n) => n.status)).toEqual(['Ready', 'Ready']);
    const row = renderStatus(s)
      .split('\n')
      .find((l) => l.startsWith('node2'))!;
    expect(row).toMatch(/broken/);
    expect(row).not.toMatch(/running/);
  });

  it('eth0 back but one pod veth missing: still broken, naming the count', async () => {
    links[model.nodes[1].container] = ['eth0', 'cbr0', model.pods.find((p) => p.name === 'pod3')!.hostVeth];
    const n2 = (await labStatus(model)).nodes.find((n) => n.name === 'node2')!;
    expect(n2.status).toBe('NotReady (broken: 1 of 2 pod veths missing; lab up repairs it)');
    expect(n2.missing).toEqual({ links: [], pods: ['default/pod4'] });
  });

  it('an exec that fails observes nothing: Unknown, neither Ready nor broken', async () => {
    links[model.nodes[2].container] = undefined;
    const n3 = (await labStatus(model)).nodes.find((n) => n.name === 'node3')!;
    expect(n3.status).toBe('Unknown (exec in the node failed: OCI runtime exec failed)');
    expect(n3.state).toBe('running');
  });

  it('node2 half set up (a repair killed before its last step: port down on the VPC router, no link-down fault): broken, as lab up judges it', async () => {
    router = { links: routerLinks(['node2']), faults: '{"active":[],"highest":0,"cleared":[]}' };
    links[model.nodes[1].container] = ['eth0', 'cbr0', model.pods.find((p) => p.name === 'pod3')!.hostVeth];
    const n2 = (await labStatus(model)).nodes.find((n) => n.name === 'node2')!;
    expect([n2.state, n2.status]).toEqual([
      'broken',
      `NotReady (broken: 1 of 2 pod veths missing, port ${model.nodes[1].vpcIface} down on the VPC router with no link-down fault; lab up repairs it)`,
    ]);
    expect(n2.missing).toEqual({ links: [], pods: ['default/pod4'] });
  });

  it('a port down because a link-down fault asks for it, or every port up: not broken', async () => {
    const fault = { id: 'f1', kind: 'link-down', target: 'node2', injectedAt: '', detail: '' };
    router = { links: routerLinks(['node2']), faults: JSON.stringify({ active: [fault], highest: 1, cleared: [] }) };
    const down = (await labStatus(model)).nodes.find((n) => n.name === 'node2')!;
    expect(down.state).toBe('running');
    router = { links: routerLinks(), faults: '' };
    expect((await labStatus(model)).nodes.map((n) => n.state)).toEqual(['running', 'running', 'running']);
  });
});
