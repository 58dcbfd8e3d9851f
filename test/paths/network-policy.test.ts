/** The network-policy probe judged on fake observations: a pass, and fails for each missing or contrary observation. */
import { loadTopology } from '../../src/topology/load';
import { networkPolicy, parseDropSet, parseReach } from '../../src/paths/network-policy/probes';
import { tracePlan } from '../../src/paths';
import { Target } from '../../src/plan/targets';
import { fakeRunner } from '../fixtures/fake-runner';
import { renderNetpolMatrix } from '../../src/report/netpol-matrix';

const m = loadTopology('topologies/netpol/step-1.yaml');
const pod = (k: string) => m.pods.find((p) => `${p.namespace}/${p.name}` === k)!;
const probeOf = (k: string) => networkPolicy.probes(m).find((p) => p.name.startsWith(`${k} ->`))!;

interface Fake {
  /** Answer of a cell (dst pod key, port, proto) or undefined for no answer. */
  answer(dst: string, port: number, proto: string): string | undefined;
  /** Does the ingress drop set of the destination's node count this cell? */
  dropped(dst: string, port: number, proto: string): boolean;
  reachOut?: string;
}

/** A fake lab: reach.py prints one line per cell; drop sets are empty before and count after. */
function world(src: string, f: Fake) {
  const seen = new Map<string, number>();
  return fakeRunner((t: Target, cmd: string) => {
    if (cmd.includes('python3 - ')) {
      if (f.reachOut !== undefined) return { stdout: f.reachOut };
      const specs = cmd
        .split('<<')[0]
        .split(' ')
        .filter((s) => /^\d+\.\d+\.\d+\.\d+:\d+\/(tcp|udp)$/.test(s));
      return {
        stdout: specs
          .map((s) => {
            const [, ip, port, proto] = /^(.*):(\d+)\/(tcp|udp)$/.exec(s)!;
            const dst = m.pods.find((p) => p.ip === ip)!;
            const a = f.answer(`${dst.namespace}/${dst.name}`, Number(port), proto.toUpperCase());
            return a !== undefined ? `${s} ok ${a}` : `${s} fail TimeoutError timed out`;
          })
          .join('\n'),
      };
    }
    if (cmd.includes('drops-ingress')) {
      const n = (seen.get(t.id) ?? 0) + 1;
      seen.set(t.id, n);
      if (n === 1) return { stdout: '' }; // before the probe: no table entries yet
      const elems = m.pods
        .filter((d) => d.node === t.id)
        .flatMap((d) =>
          [80, 81].flatMap((port) =>
            ['TCP', 'UDP']
              .filter((proto) => f.dropped(`${d.namespace}/${d.name}`, port, proto))
              .map((proto) => ({
                elem: {
                  val: { concat: [pod(src).ip, d.ip, proto.toLowerCase(), port] },
                  counter: { packets: 1, bytes: 60 },
                },
              })),
          ),
        );
      return { stdout: JSON.stringify({ nftables: [{ set: { name: 'drops-ingress', elem: elems } }] }) };
    }
    return { stdout: '' };
  });
}

/** The lab as Kubernetes says step 1 should be: x pods refuse everyone but themselves. */
const truthful = (src: string): Fake => ({
  answer: (dst) => (dst.startsWith('x/') && dst !== src ? undefined : dst.split('/')[1]),
  dropped: (dst) => dst.startsWith('x/') && dst !== src,
});

describe('network-policy probe', () => {
  it('one probe per source pod of 36 cells, only when the lab has policies', () => {
    expect(networkPolicy.probes(m)).toHaveLength(9);
    expect(probeOf('y/a').name).toBe('y/a -> 36 cells');
    expect(networkPolicy.probes(loadTopology('topologies/netpol.yaml'))).toHaveLength(0);
    expect(networkPolicy.probes(loadTopology('topologies/guide.yaml'))).toHaveLength(0);
  });

  it('passes when answers and counted drops match the oracle', async () => {
    const r = await probeOf('y/a').run(world('y/a', truthful('y/a')));
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
    const cells = r.evidence.observed.cells as Array<{ to: string; verdict: string; droppedAt?: string }>;
    expect(cells.filter((c) => c.verdict === 'denied').map((c) => c.to)).toEqual(
      Array(12)
        .fill(0)
        .map((_, i) => ['x/a', 'x/b', 'x/c'][Math.floor(i / 4)]),
    );
    expect(cells.find((c) => c.verdict === 'denied')!.droppedAt).toBe('node1 ingress (1 pkt)');
    const table = renderNetpolMatrix([r]).join('\n');
    expect(table).toMatch(/y\/a +X +X +X +\. +\. +\. +\. +\. +\./);
    expect(table).toMatch(/^  80\/TCP x\/a x\/b x\/c y\/a/m);
    expect(table).toMatch(/36 cells, 0 differ/);
  });

  it('fails when a denial is only a timeout (no drop counted)', async () => {
    const f = truthful('y/a');
    const r = await probeOf('y/a').run(world('y/a', { ...f, dropped: () => false }));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(
      /12 of 36 cells differ: x\/a 80\/TCP: expected denied \(x\/default-deny-ingress\), observed unconfirmed \(TimeoutError timed out; no policy drop counted\)/,
    );
  });

  it('fails naming the cell and the policy when a denied cell answers (a broken rule)', async () => {
    const f = truthful('y/a');
    const r = await probeOf('y/a').run(
      world('y/a', {
        answer: (d, p, pr) => (d === 'x/b' && p === 81 && pr === 'UDP' ? 'b' : f.answer(d, p, pr)),
        dropped: (d, p, pr) => !(d === 'x/b' && p === 81 && pr === 'UDP') && f.dropped(d, p, pr),
      }),
    );
    expect(r.verdict).toBe('fail');
    expect(r.reason).toBe(
      '1 of 36 cells differ: x/b 81/UDP: expected denied (x/default-deny-ingress), observed allowed',
    );
    const table = renderNetpolMatrix([r]).join('\n');
    expect(table).toMatch(/\.!/);
    expect(table).toMatch(/! y\/a -> x\/b 81\/UDP: expected denied by x\/default-deny-ingress/);
  });

  it('fails when an allowed cell is answered by the wrong pod or not at all', async () => {
    const f = truthful('y/a');
    const r = await probeOf('y/a').run(
      world('y/a', { ...f, answer: (d, p, pr) => (d === 'z/c' ? (p === 80 ? 'b' : undefined) : f.answer(d, p, pr)) }),
    );
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(
      /4 of 36 cells differ: z\/c 80\/TCP: expected allowed, observed unconfirmed \(answered by "b", expected c\)/,
    );
  });

  it('fails with nothing observed when the reachability script prints nothing', async () => {
    const r = await probeOf('y/a').run(world('y/a', { ...truthful('y/a'), reachOut: '' }));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/nothing observed: answers of the reachability script in y\/a/);
  });

  it('parses nft drop sets and reach lines', () => {
    expect(parseDropSet('')).toEqual({});
    expect(
      parseDropSet(
        JSON.stringify({
          nftables: [
            { metainfo: {} },
            {
              set: {
                elem: [{ elem: { val: { concat: ['1.1.1.1', '2.2.2.2', 'udp', 81] }, counter: { packets: 3 } } }],
              },
            },
          ],
        }),
      ),
    ).toEqual({ '1.1.1.1 2.2.2.2 udp 81': 3 });
    expect(parseReach('1.1.1.1:80/tcp ok a\n1.1.1.1:80/udp fail TimeoutError timed out\n')).toEqual({
      '1.1.1.1:80/tcp': { ok: true, text: 'a' },
      '1.1.1.1:80/udp': { ok: false, text: 'TimeoutError timed out' },
    });
  });
});

describe('network-policy trace', () => {
  it('traces a denied connection across nodes, naming the deciding policy as expected', () => {
    const plan = tracePlan(
      loadTopology('topologies/netpol/step-1.yaml'),
      'network-policy',
      'k8s-netlab-trace-0000abcd',
    );
    expect(plan.from).toBe('node1/x/a');
    expect(plan.to).toBe(
      'node2/x/b 80/TCP (expected denied by x/default-deny-ingress: ingress of x/b isolated by x/default-deny-ingress; no rule allows it)',
    );
    expect(plan.first).toEqual({ proto: 'tcp', dst: '10.244.1.2', dport: 80 });
    expect(plan.points[0]).toBe('node1/x/a:eth0');
  });
  it('is unavailable without policies', () => {
    expect(() =>
      tracePlan(loadTopology('topologies/netpol.yaml'), 'network-policy', 'k8s-netlab-trace-0000abcd'),
    ).toThrow(/no NetworkPolicy objects/);
  });
});
