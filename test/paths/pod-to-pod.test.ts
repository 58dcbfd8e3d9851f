import { podToPodCrossNode, podToPodSameNode } from '../../src/paths/pod-to-pod/probes';
import { crossNodePairs, routersBetween, sameNodePairs } from '../../src/paths/common/select';
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
  it("passes when the right pod answers, sees the caller's IP, and three routers took the TTL", async () => {
    const r = await probe.run(world(61, 'pod3', '10.244.0.2'));
    expect(r.ok).toBe(true);
    expect(r.evidence.observed).toMatchObject({
      replyTtl: 61,
      routersOnPath: 3,
      answeredBy: 'pod3',
      serverSawClient: '10.244.0.2',
    });
    expect(r.evidence.expected).toMatchObject({
      replyTtl: 61,
      routersOnPath: 3,
      answeredBy: 'pod3',
      serverSawClient: '10.244.0.2',
    });
    // Counters other probes move at the same time are no evidence of this one.
    expect(r.evidence.observed.eth0TxPackets).toBeUndefined();
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

describe('pod-to-pod-same-node judges observations', () => {
  const probe = podToPodSameNode.probes(m)[0];
  const world = (over: { ping?: ReturnType<typeof pingOut> | { stdout: string }; seen?: string; ttl?: number } = {}) =>
    fakeRunner((t, cmd) => {
      if (cmd.startsWith('ping')) return over.ping ?? pingOut('10.244.0.3', over.ttl ?? 64);
      if (cmd.includes('/hostname')) return curlOut('pod2');
      if (cmd.includes('/clientip'))
        return over.seen === '' ? curlOut('') : curlOut(`${over.seen ?? '10.244.0.2'}:41000`);
      return { exitCode: 1 };
    });
  it('passes: every echo answered with TTL 64 (switched, no router), pod2 answered and saw pod1', async () => {
    const r = await probe.run(world());
    expect(r.verdict).toBe('pass');
    expect(r.evidence.observed).toMatchObject({
      ping: '3/3 replies from 10.244.0.3',
      replyTtl: 64,
      answeredBy: 'pod2',
      serverSawClient: '10.244.0.2',
    });
    // Learned MACs persist for minutes and other probes move them: they are no evidence of this probe.
    expect(r.evidence.observed.cbr0LearnedMacs).toBeUndefined();
  });
  it('fails on loss (2/3), naming it', async () => {
    const lossy = {
      stdout: pingOut('10.244.0.3', 64, 2).stdout.replace(
        '2 packets transmitted, 2 received',
        '3 packets transmitted, 2 received',
      ),
    };
    const r = await probe.run(world({ ping: lossy }));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/2\/3 replies.*1 lost/);
  });
  it('fails when the server saw no client address (empty /clientip body)', async () => {
    const r = await probe.run(world({ seen: '' }));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/nothing observed: the client address pod2 saw/);
  });
  it('fails when a router took one off the TTL', async () => {
    const r = await probe.run(world({ ttl: 63 }));
    expect(r.reason).toMatch(/TTLs 63,63,63, expected 64/);
  });
});
