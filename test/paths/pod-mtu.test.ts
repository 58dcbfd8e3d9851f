import { mtuPairs, parseOversize, podMtuPath } from '../../src/paths/pod-mtu/probes';
import { PATHS } from '../../src/paths';
import { fixtureModel } from '../fixtures/model';
import { fakeRunner } from '../fixtures/fake-runner';

const okPing = (ip: string, size: number) => ({
  stdout: `PING ${ip} (${ip}) ${size}(${size + 28}) bytes of data.\n${size + 8} bytes from ${ip}: icmp_seq=1 ttl=62 time=0.1 ms\n${size + 8} bytes from ${ip}: icmp_seq=2 ttl=62 time=0.1 ms\n\n2 packets transmitted, 2 received, 0% packet loss, time 201ms`,
});
const tooLong = (ip: string, size: number, mtu: number) => ({
  stdout: `PING ${ip} (${ip}) ${size}(${size + 28}) bytes of data.\nping: local error: message too long, mtu=${mtu}\n\n--- ${ip} ping statistics ---\n1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms`,
  exitCode: 1,
});
const lost = (ip: string) => ({
  stdout: `PING ${ip}\n\n1 packets transmitted, 0 received, 100% packet loss, time 0ms`,
  exitCode: 1,
});

describe('pod-mtu path', () => {
  it('is registered with lab verify', () => {
    expect(PATHS.map((p) => p.id)).toContain('pod-mtu');
  });
  it('makes a ring of cross-node pairs: every node sends once', () => {
    const pairs = mtuPairs(fixtureModel());
    expect(pairs.map(([a, b]) => `${a.node}->${b.node}`)).toEqual(['node1->node2', 'node2->node3', 'node3->node1']);
  });
  it('parses the local refusal and its MTU', () => {
    const o = parseOversize(tooLong('10.244.1.2', 1423, 1450).stdout, 1);
    expect(o).toMatchObject({
      refusedLocally: true,
      mtu: 1450,
      received: 0,
      text: 'ping: local error: message too long, mtu=1450',
    });
    expect(parseOversize(lost('10.244.1.2').stdout, 1).refusedLocally).toBe(false);
  });

  const world = (mtu: number, over: (ip: string) => { stdout: string; exitCode?: number }, full = true) =>
    fakeRunner((_t, cmd) => {
      if (cmd.includes('/sys/class/net/eth0/mtu')) return { stdout: `${mtu}\n` };
      const m = /ping -M do .* -s (\d+) (\S+)$/.exec(cmd);
      if (!m) return { exitCode: 1 };
      const size = Number(m[1]);
      if (size + 28 <= mtu) return full ? okPing(m[2], size) : lost(m[2]);
      return over(m[2]);
    });

  it('vxlan: 1450-byte packets pass, 1451 are refused with message too long', async () => {
    const m = fixtureModel({ cni: 'vxlan' });
    const probe = podMtuPath.probes(m)[0];
    const w = world(1450, (ip) => tooLong(ip, 1423, 1450));
    const res = await probe.run(w);
    expect(res.ok).toBe(true);
    expect(w.calls.join('\n')).toContain('ping -M do -c 2 -i 0.2 -W 2 -s 1422 10.244.1.2');
    expect(w.calls.join('\n')).toContain('ping -M do -c 1 -W 2 -s 1423 10.244.1.2');
    expect(res.evidence.expected).toMatchObject({ podMtu: 1450 });
    expect(res.evidence.observed).toMatchObject({
      eth0Mtu: 1450,
      refusedMtu: 1450,
      fullSize: 'ping -M do -s 1422: 2/2 replies from 10.244.1.2',
    });
  });
  it('vpc-routes: the full 1500 bytes cross', async () => {
    const res = await podMtuPath.probes(fixtureModel())[0].run(world(1500, (ip) => tooLong(ip, 1473, 1500)));
    expect(res.ok).toBe(true);
    expect(res.evidence.expected).toMatchObject({ podMtu: 1500 });
  });
  it('fails when the oversize packet is lost silently instead of refused', async () => {
    const res = await podMtuPath.probes(fixtureModel())[0].run(world(1500, lost));
    expect(res.ok).toBe(false);
    expect(res.reason).toMatch(/not refused with "message too long".*lost silently/);
  });
  it('fails when the full-size packet does not cross', async () => {
    const res = await podMtuPath
      .probes(fixtureModel({ cni: 'vxlan' }))[0]
      .run(world(1450, (ip) => tooLong(ip, 1423, 1450), false));
    expect(res.ok).toBe(false);
    expect(res.reason).toMatch(/full pod MTU does not cross nodes/);
  });
  it("fails when the pod MTU is not the mode's (vxlan left at 1500)", async () => {
    const res = await podMtuPath
      .probes(fixtureModel({ cni: 'vxlan' }))[0]
      .run(world(1500, (ip) => tooLong(ip, 1473, 1500)));
    expect(res.ok).toBe(false);
    expect(res.reason).toMatch(/pod eth0 has MTU 1500, expected 1450 for cni vxlan/);
  });
});
