import * as path from 'path';
import { localhostNodePort } from '../../src/paths/localhost-nodeport/probes';
import { tracePlan } from '../../src/paths';
import { withService } from '../fixtures/web-service';
import { loadTopology } from '../../src/topology/load';
import { curlOut, fakeRunner } from '../fixtures/fake-runner';
import type { LabModel, ProxyMode } from '../../src/model/types';

const guide = loadTopology(path.join(__dirname, '../../topologies/guide.yaml'));
const withMode = (mode: ProxyMode): LabModel => ({ ...guide, cluster: { ...guide.cluster, proxy: mode } });

describe('localhost-nodeport probe', () => {
  const ipt = withMode('iptables');
  const probes = localhostNodePort.probes(ipt);
  const node1 = ipt.nodes[0];
  const p = probes.find((x) => x.from === node1.name)!;

  it('makes one probe per node on 127.0.0.1:<nodePort>, none in ipvs mode', () => {
    expect(probes.map((x) => x.from)).toEqual(ipt.nodes.map((n) => n.name));
    expect(p.to).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(localhostNodePort.probes(withMode('ipvs'))).toEqual([]);
  });

  // the service the probe picked and one of its backends
  const svcName = /\((\S+)\)/.exec(p.name)![1].split('/')[1].split(':')[0];
  const svc = ipt.services.find((s) => s.name === svcName)!;
  const pod = ipt.pods.find((x) => Object.entries(svc.selector!).every(([k, v]) => x.labels[k] === v))!;

  it("iptables: passes when a backend answers and saw one of the node's addresses", async () => {
    const r = fakeRunner((_t, cmd) => (cmd.includes('/hostname') ? curlOut(pod.name) : curlOut(`${node1.ip}:41234`)));
    const res = await p.run(r);
    expect(res.reason).toBeUndefined();
    expect(res.ok).toBe(true);
    expect(res.evidence.observed).toMatchObject({ answeredBy: pod.name, serverSawClient: node1.ip });
    expect(r.calls[0]).toContain(`http://127.0.0.1:${p.to.split(':')[1]}/hostname`);
  });

  it('iptables: fails on a hang (the old behaviour), on 127.0.0.1 as the source, and on an empty answer', async () => {
    const hang = await p.run(fakeRunner(() => ({ stdout: '\n__CURL__ 000 :', exitCode: 28 })));
    expect(hang.ok).toBe(false);
    expect(hang.reason).toMatch(/timed out/);
    const unmasq = await p.run(
      fakeRunner((_t, cmd) => (cmd.includes('/hostname') ? curlOut(pod.name) : curlOut('127.0.0.1:5555'))),
    );
    expect(unmasq.ok).toBe(false);
    expect(unmasq.reason).toMatch(/not masqueraded/);
    const empty = await p.run(fakeRunner(() => ({ stdout: '', exitCode: 0 })));
    expect(empty.ok).toBe(false);
  });

  const nft = localhostNodePort.probes(withMode('nftables')).find((x) => x.from === node1.name)!;
  it('nftables: passes only on connection refused', async () => {
    const res = await nft.run(fakeRunner(() => ({ stdout: '\n__CURL__ 000 :', exitCode: 7 })));
    expect(res.ok).toBe(true);
    expect(res.evidence.observed).toMatchObject({ curlExit: 7 });
  });

  it('nftables: fails on a timeout, on an answer, and on an empty observation', async () => {
    for (const a of [{ stdout: '\n__CURL__ 000 :', exitCode: 28 }, curlOut(pod.name), { stdout: '', exitCode: 0 }]) {
      const res = await nft.run(fakeRunner(() => a));
      expect(res.ok).toBe(false);
      expect(res.reason).toBeTruthy();
    }
  });
});

const MARK = 'k8s-netlab-trace-0123abcd';

describe('localhost-nodeport trace', () => {
  const np = () =>
    withService({
      type: 'NodePort',
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
    });

  it("iptables: from node1 to 127.0.0.1:<nodePort>, DNAT'd before routing: straight out to every backend", () => {
    const plan = tracePlan(np(), 'localhost-nodeport', MARK);
    expect(plan.from).toBe('node1');
    expect(plan.first).toEqual({ proto: 'tcp', dst: '127.0.0.1', dport: 30080 });
    expect(plan.probe[plan.probe.length - 1]).toBe(`http://127.0.0.1:30080/echo?msg=${MARK}`);
    expect(plan.points).toEqual([]);
    expect(plan.branches![0].points).toEqual(['node1:cbr0', 'node1/pod2:eth0']);
    expect(plan.branches!.map((b) => b.label)).toEqual([
      expect.stringContaining('pod2'),
      expect.stringContaining('pod3'),
    ]);
    expect(plan.branches![1].points[0]).toBe('node1:eth0'); // pod3 is on node2: out of node1's eth0
  });

  it('nftables: nothing to follow (kube-proxy refuses localhost NodePorts there)', () => {
    const m = np();
    m.cluster.proxy = 'nftables';
    expect(() => tracePlan(m, 'localhost-nodeport', MARK)).toThrow(/serves no NodePorts on 127\.0\.0\.1/);
  });
});
