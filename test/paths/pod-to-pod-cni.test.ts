import { podToPodCrossNode, podToPodSameNode } from '../../src/paths/pod-to-pod/probes';
import { crossNodeDevice, podIngressDevice, routersBetween } from '../../src/paths/common/select';
import { ethPacket, vxlanPacket, writePcap } from '../fixtures/pcap-write';
import { LabModel } from '../../src/model/types';
import { fixtureModel } from '../fixtures/model';
import { curlOut, fakeRunner, pingOut } from '../fixtures/fake-runner';

describe('routers between pods per cni mode (TTL evidence)', () => {
  const two = (cni: LabModel['cluster']['cni']) => {
    const m = fixtureModel({ cni });
    m.subnets.push({ name: 'az-b', cidr: '10.0.2.0/24', gateway: '10.0.2.1', bridge: 'br-az-b' });
    Object.assign(m.nodes[1], { subnet: 'az-b', ip: '10.0.2.10', gateway: '10.0.2.1' });
    return m;
  };
  it.each([
    ['vpc-routes', 0, 3, 3],
    ['host-gw', 0, 2, 2],
    ['vxlan', 0, 2, 2],
    ['vpc-native', 1, 2, 3],
  ] as const)('%s: same node %i, across nodes %i, across subnets %i', (cni, same, cross, crossSubnet) => {
    const m = fixtureModel({ cni });
    expect(routersBetween(m, m.pods[0], m.pods[1])).toBe(same);
    expect(routersBetween(m, m.pods[0], m.pods[4])).toBe(cross); // node1 -> node3, one subnet
    const t = two(cni);
    expect(routersBetween(t, t.pods[0], t.pods[2])).toBe(crossSubnet); // node1 (az-a) -> node2 (az-b)
  });
  it('names the devices a cross-node packet takes', () => {
    expect(crossNodeDevice(fixtureModel({ cni: 'vxlan' }))).toBe('flannel.1');
    expect(crossNodeDevice(fixtureModel({ cni: 'host-gw' }))).toBe('eth0');
    const vn = fixtureModel({ cni: 'vpc-native' });
    expect(podIngressDevice(vn, vn.pods[0])).toBe(vn.pods[0].hostVeth);
    expect(podIngressDevice(fixtureModel(), vn.pods[0])).toBe('cbr0');
  });
});

describe('pod-to-pod-cross-node in vxlan mode', () => {
  const m = fixtureModel({ cni: 'vxlan' });
  const probe = podToPodCrossNode.probes(m)[0]; // pod1@node1 (10.244.0.2) -> pod3@node2 (10.244.1.2)
  const pcap = (vni: number) =>
    writePcap([
      {
        ts: 1,
        data: vxlanPacket(
          { src: '10.0.1.11', dst: '10.0.1.12', vni },
          ethPacket({ src: '10.244.0.2', dst: '10.244.1.2', ttl: 63, icmp: { type: 8, id: 1, seq: 1 } }),
        ),
      },
    ]).toString('base64');
  let tx = 0;
  const world = (vni: number, dev = 'flannel.1') =>
    fakeRunner((_t, cmd) => {
      if (cmd.includes('tcpdump')) return { stdout: pcap(vni) };
      if (cmd.startsWith('ping')) return pingOut('10.244.1.2', 62);
      if (cmd.includes('/hostname')) return curlOut('pod3');
      if (cmd.includes('/clientip')) return curlOut('10.244.0.2:41000');
      if (cmd.includes('tx_packets')) return { stdout: String((tx += 10)) };
      if (cmd.startsWith('ip route get')) return { stdout: `10.244.1.2 from 10.244.0.2 via 10.244.1.0 dev ${dev}` };
      return { exitCode: 1 };
    });
  it('passes with two routers, the route via flannel.1 and the encapsulation seen on eth0', async () => {
    const w = world(1);
    const r = await probe.run(w);
    expect(r.reason).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.evidence.expected).toMatchObject({
      replyTtl: 62,
      routersOnPath: 2,
      encapsulation: { outer: '10.0.1.11 -> 10.0.1.12', inner: '10.244.0.2 -> 10.244.1.2' },
    });
    expect(r.evidence.observed).toMatchObject({
      replyTtl: 62,
      routersOnPath: 2,
      encapsulation: { outer: '10.0.1.11 -> 10.0.1.12', udpPort: 8472, vni: 1, inner: '10.244.0.2 -> 10.244.1.2' },
    });
    expect(w.calls.join('\n')).toContain('iif cbr0');
  });
  it('fails without the overlay route or with the wrong VNI', async () => {
    expect((await probe.run(world(1, 'eth0'))).reason).toMatch(/routes 10\.244\.1\.2 via eth0, not flannel\.1/);
    expect((await probe.run(world(5))).reason).toMatch(/VNI 5, expected 1/);
  });
  it('takes no capture in other modes', async () => {
    const w = fakeRunner((_t, cmd) => {
      if (cmd.startsWith('ping')) return pingOut('10.244.1.2', 61);
      if (cmd.includes('/hostname')) return curlOut('pod3');
      if (cmd.includes('/clientip')) return curlOut('10.244.0.2:41000');
      if (cmd.includes('tx_packets')) return { stdout: String((tx += 10)) };
      if (cmd.startsWith('ip route get')) return { stdout: '10.244.1.2 via 10.0.1.1 dev eth0' };
      return { exitCode: 1 };
    });
    const r = await podToPodCrossNode.probes(fixtureModel())[0].run(w);
    expect(r.ok).toBe(true);
    expect(w.calls.join('\n')).not.toContain('tcpdump');
    expect(r.evidence.observed.encapsulation).toBeUndefined();
  });
});

describe('pod-to-pod-same-node in vpc-native mode', () => {
  const m = fixtureModel({ cni: 'vpc-native' });
  const [a, b] = [m.pods[0], m.pods[1]];
  const probe = podToPodSameNode.probes(m)[0];
  const world = (ttl: number, dev: string) =>
    fakeRunner((_t, cmd) => {
      if (cmd.startsWith('ping')) return pingOut(b.ip, ttl);
      if (cmd.includes('/hostname')) return curlOut(b.name);
      if (cmd.includes('/clientip')) return curlOut(`${a.ip}:41000`);
      if (cmd.startsWith('ip route get')) return { stdout: `${b.ip} from ${a.ip} dev ${dev}` };
      return { exitCode: 1 };
    });
  it("expects one router (the node) and the route to the other pod's veth, no bridge", async () => {
    const w = world(63, b.hostVeth);
    const r = await probe.run(w);
    expect(r.ok).toBe(true);
    expect(w.calls.join('\n')).toContain(`iif ${a.hostVeth}`);
    expect(w.calls.join('\n')).not.toContain('bridge fdb');
  });
  it('fails on a switched TTL or a wrong route', async () => {
    expect((await probe.run(world(64, b.hostVeth))).reason).toMatch(/reply TTLs 64,64,64, expected 63/);
    expect((await probe.run(world(63, 'eth0'))).reason).toMatch(/not pod2's veth/);
  });
});
