import { podToPodCrossNode, podToPodSameNode } from '../../src/probes/pod-to-pod';
import { crossNodePairs, routersBetween, sameNodePairs } from '../../src/probes/select';
import { fixtureModel } from '../fixtures/model';
import { curlOut, fakeRunner, pingOut } from '../fixtures/fake-runner';

const m = fixtureModel();

describe('pair selection', () => {
  it('pairs pods on one node, and pods across every ordered pair of nodes', () => {
    expect(sameNodePairs(m).map(([a, b]) => `${a.name}-${b.name}`)).toEqual(['pod1-pod2', 'pod3-pod4']);
    expect(crossNodePairs(m)).toHaveLength(6);
    expect(crossNodePairs(m, 2)).toHaveLength(3); // a ring beyond the cap
  });
  it('counts the routers between pods per CNI mode', () => {
    expect(routersBetween(m, m.pods[0], m.pods[2])).toBe(3);
    expect(routersBetween(fixtureModel({ cni: 'host-gw' }), m.pods[0], m.pods[2])).toBe(2);
    expect(routersBetween(m, m.pods[0], m.pods[1])).toBe(0);
  });
});

describe('pod-to-pod-cross-node judges observations', () => {
  const probe = podToPodCrossNode.probes(m)[0]; // pod1@node1 -> pod3@node2
  let tx = 0;
  const world = (ttl: number, answeredBy: string, seen: string) =>
    fakeRunner((t, cmd) => {
      if (cmd.startsWith('ping')) return pingOut('10.244.1.2', ttl);
      if (cmd.includes('/hostname')) return curlOut(answeredBy);
      if (cmd.includes('/clientip')) return curlOut(`${seen}:41000`);
      if (cmd.includes('tx_packets')) return { stdout: String((tx += 10)) };
      if (cmd.startsWith('ip route get')) return { stdout: '10.244.1.2 from 10.244.0.2 via 10.0.1.1 dev eth0' };
      return { exitCode: 1 };
    });
  it('passes when the right pod answers, sees the caller\'s IP, and three routers took the TTL', async () => {
    const r = await probe.run(world(61, 'pod3', '10.244.0.2'));
    expect(r.ok).toBe(true);
    expect(r.evidence).toMatchObject({ replyTtl: 61, routersOnPath: 3, answeredBy: 'pod3', serverSawClient: '10.244.0.2' });
  });
  it('fails when the server saw a NATed address', async () => {
    const r = await probe.run(world(61, 'pod3', '10.0.1.11'));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/NAT/);
  });
  it('fails when the TTL shows another path', async () => {
    const r = await probe.run(world(62, 'pod3', '10.244.0.2'));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/TTL/);
  });
  it('fails when another pod answered', async () => {
    expect((await probe.run(world(61, 'pod4', '10.244.0.2'))).ok).toBe(false);
  });
});

describe('pod-to-pod-same-node requires the bridge to have learned both MACs', () => {
  const probe = podToPodSameNode.probes(m)[0];
  const world = (fdb: string) =>
    fakeRunner((t, cmd) => {
      if (cmd.startsWith('ping')) return pingOut('10.244.0.3', 64);
      if (cmd.includes('/hostname')) return curlOut('pod2');
      if (cmd.includes('/clientip')) return curlOut('10.244.0.2:41000');
      if (cmd.includes('/address')) return { stdout: t.id.endsWith('pod1') ? 'aa:aa:aa:aa:aa:01' : 'aa:aa:aa:aa:aa:02' };
      if (cmd.startsWith('bridge fdb')) return { stdout: fdb };
      return { exitCode: 1 };
    });
  it('passes with both learned', async () => {
    const r = await probe.run(world('aa:aa:aa:aa:aa:01 dev veth0 master cbr0\naa:aa:aa:aa:aa:02 dev veth1 master cbr0\n'));
    expect(r.ok).toBe(true);
  });
  it('fails when one is missing', async () => {
    const r = await probe.run(world('aa:aa:aa:aa:aa:01 dev veth0 master cbr0\n'));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/did not learn/);
  });
});
