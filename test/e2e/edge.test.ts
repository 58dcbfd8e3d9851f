/**
 * The edge end to end: the emulated Internet, egress through both NATs, the cloud load balancer
 * (Cluster, Local, source ranges), its health checks dropping a node whose backend goes away,
 * bad input creating nothing, and the host's network left as it was.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GUIDE, hostNetworkState, lab, labContainers, labName } from './helpers';
import { eventually } from './eventually';
import { readModel } from '../../src/lab/state';
import { syncProxy } from '../../src/lab/proxy';
import { exec } from '../../src/runtime/exec';
import { LB_STATE } from '../../src/edge/lb';

jest.setTimeout(600_000);

const NAME = labName('e2e-edge');
const PATHS = ['pod-to-internet', 'outside-to-nodeport', 'loadbalancer-to-service'];
let before = '';

beforeAll(async () => {
  await lab(['down', '--name', NAME]);
  before = await hostNetworkState();
});

afterAll(async () => {
  await lab(['down', '--name', NAME]);
});

describe('edge', () => {
  it('bad input: a LoadBalancer source range that is not a CIDR exits 2 and creates nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-edge-'));
    const file = path.join(dir, 'bad.yaml');
    const guide = fs
      .readFileSync(GUIDE, 'utf8')
      .replace('loadBalancerSourceRanges: [192.0.2.0/24]', 'loadBalancerSourceRanges: [192.0.2.0/24, 198.51.100.300]');
    expect(guide).toContain('198.51.100.300');
    fs.writeFileSync(file, guide);
    const r = await lab(['up', '-t', file, '--name', `${NAME}-bad`]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/loadBalancerSourceRanges\[1\]/);
    expect(await labContainers(`${NAME}-bad`)).toEqual([]);
  });

  it('brings the guide up with igw, internet and lb containers, and the edge probes pass', async () => {
    const up = await lab(['up', '-t', GUIDE, '--name', NAME, '--no-verify']);
    expect(up.stderr).toBe('');
    expect(up.exitCode).toBe(0);
    const names = await labContainers(NAME);
    for (const role of ['igw', 'internet', 'lb']) expect(names).toContain(`/k8s-netlab-${NAME}-${role}`);
    const v = await lab(['verify', '--name', NAME, '--json', '--path', ...PATHS]);
    const doc = JSON.parse(v.stdout);
    const failed = doc.probes.filter((p: { ok: boolean }) => !p.ok);
    expect(failed).toEqual([]);
    expect(new Set(doc.probes.map((p: { path: string }) => p.path))).toEqual(new Set(PATHS));
    const st = JSON.parse((await lab(['status', '--name', NAME, '--json'])).stdout);
    expect(st.edge.internet.ip).toBe('198.51.100.10');
    expect(st.edge.loadBalancers.map((l: { service: string }) => l.service)).toEqual([
      'default/web',
      'default/web-lb-local',
      'default/web-lb-ranges',
    ]);
    // EXTERNAL-IP as kubectl: the IP the cloud load balancer gave each LoadBalancer Service
    for (const l of st.edge.loadBalancers as Array<{ service: string; ip: string }>) {
      expect(
        st.services.find((s: { namespace: string; name: string }) => `${s.namespace}/${s.name}` === l.service)
          .externalIP,
      ).toBe(l.ip);
    }
  });

  it('no lab container has a route out of the machine: only lab veths and lo exist, no default route off the lab', async () => {
    const model = await readModel(NAME);
    const containers = [
      model.vpc.container,
      ...model.nodes.map((n) => n.container),
      model.edge!.igw.container,
      model.edge!.internet.container,
      model.edge!.lb.container,
    ];
    // Edge attachments made after up (the ingress) add their own /30 link.
    const ifaceNames = new Set([...model.links.flatMap((l) => [l.a.iface, l.b.iface]), model.edge!.ingress.vpcIface]);
    for (const c of containers) {
      const r = await exec(c, ['sh', '-c', "ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'"]);
      for (const i of r.stdout.trim().split('\n')) {
        expect(
          ['lo', 'cbr0', ...ifaceNames].some((x) => x === i) || /^(veth|br-|kube-|flannel|dummy|ipvs)/.test(i),
        ).toBe(true);
      }
    }
    const igw = await exec(model.edge!.igw.container, ['ip', 'route', 'show', 'default']);
    expect(igw.stdout.trim()).toBe('');
  });

  it('the load balancer stops sending to a node whose backend goes away, within a few seconds of the sync', async () => {
    const model = await readModel(NAME);
    const svc = model.services.find((s) => s.name === 'web-lb-local')!;
    const victim = model.pods.find((p) => p.labels.app === 'web' && p.node === 'node2')!;
    const node2 = model.nodes.find((n) => n.name === 'node2')!;
    const entry = 'default/web-lb-local:http';
    const healthy = async () =>
      JSON.parse((await exec(model.edge!.lb.container, ['cat', LB_STATE])).stdout).services[entry].healthy as string[];
    expect((await healthy()).sort()).toEqual(['node1', 'node2']);
    // The backend on node2 dies; kube-proxy's next sync sees it not ready.
    const kill = await exec(node2.container, ['sh', '-c', `kill $(cat /run/k8s-netlab/pods/${victim.netns}/*.pid)`]);
    expect(kill.exitCode).toBe(0);
    await syncProxy(model);
    let now: string[] = [];
    const took = await eventually('node2 dropped by the LB', async () => (now = await healthy()).length === 1, {
      everyMs: 250,
      explain: () => `healthy: ${now.join(', ')}`,
    });
    expect(now).toEqual(['node1']);
    console.log(`load balancer dropped node2 ${took} ms after the kube-proxy sync`);
    // Every connection now lands on node1's backend, and none fails.
    const sweep = await exec(model.edge!.internet.container, [
      'sh',
      '-c',
      `for i in $(seq 12); do curl -s -m 2 http://${svc.loadBalancerIP}/hostname; echo " $?"; done`,
    ]);
    const lines = sweep.stdout.trim().split('\n');
    expect(lines).toHaveLength(12);
    const web1 = model.pods.find((p) => p.labels.app === 'web' && p.node === 'node1')!;
    for (const l of lines) expect(l).toBe(`${web1.name} 0`);
  });

  it('leaves the host network as it was after down', async () => {
    const d = await lab(['down', '--name', NAME]);
    expect(d.exitCode).toBe(0);
    expect(await labContainers(NAME)).toEqual([]);
    expect(await hostNetworkState()).toBe(before);
  });
});
