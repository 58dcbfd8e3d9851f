import { besides, parseTimings, renderTimings, Timings } from '../../src/lab/timings';

describe('Timings', () => {
  it('marks consecutive phases with the time since the previous mark', () => {
    const clock = [1000, 1250, 1260, 2260];
    const t = new Timings(() => clock.shift()!);
    t.mark('containers', '7 started');
    t.mark('links');
    t.mark('pods');
    expect(t.phases).toEqual([
      { phase: 'containers', ms: 250, detail: '7 started' },
      { phase: 'links', ms: 10 },
      { phase: 'pods', ms: 1000 },
    ]);
    expect(t.total()).toBe(1260);
  });

  it('renders a table the bench reads back (phases only, not the sum or wall lines)', () => {
    const phases = [
      { phase: 'proxy sync', ms: 300, detail: '11 services' },
      { phase: 'pod-to-pod-cross-node', ms: 700 },
    ];
    const text = renderTimings('timings of up', phases, 900);
    expect(text).toContain('proxy sync');
    expect(text).toMatch(/sum +1000 ms/);
    expect(text).toMatch(/wall +900 ms/);
    expect(text).toMatch(/proxy sync +300 ms +30%/);
    expect(parseTimings(`[lab] noise\n${text}\nlab: all 3 probes passed`)).toEqual(phases);
  });

  it('times phases side by side with span: listed by start, each its own wall time, the table names what ran beside', async () => {
    let now = 0;
    const t = new Timings(() => now);
    now = 100;
    t.mark('links');
    const wait = (ms: number) =>
      new Promise<void>((r) => {
        setImmediate(() => {
          now += ms;
          r();
        });
      });
    // edge from 100 to 400; pods from 100 to 1100 (the fake clock moves as each step completes).
    await Promise.all([
      t.span('edge', () => wait(300)),
      t.span(
        'pods',
        () => wait(700).then(() => 16),
        (n) => `${n} pods`,
      ),
    ]);
    now = 1200;
    t.mark('proxy sync');
    expect(t.phases.map((p) => p.phase)).toEqual(['links', 'edge', 'pods', 'proxy sync']);
    const [edge, pods, sync] = t.phases.slice(1);
    expect(edge).toEqual({ phase: 'edge', ms: 300, at: 100 });
    expect(pods).toEqual({ phase: 'pods', ms: 1000, at: 100, detail: '16 pods' });
    // The mark after the spans measures from the last end (1000 + 100 = 1100).
    expect(sync.ms).toBe(1200 - 1100);
    expect(besides(edge, t.phases)).toEqual(['pods']);
    expect(besides(sync, t.phases)).toEqual([]);
    expect(t.wall()).toBe(1200);
    const text = renderTimings('timings of up', t.phases, t.wall());
    expect(text).toMatch(/pods +1000 ms +\d+% {2}16 pods; beside edge$/m);
    expect(text).toMatch(/edge +300 ms +\d+% {2}beside pods$/m);
    expect(text).toMatch(/wall +1200 ms/);
    expect(parseTimings(text).map((p) => p.ms)).toEqual([100, 300, 1000, 100]);
  });

  it('phases that only touch (one ends as the next starts) are not beside each other', () => {
    const a = { phase: 'a', ms: 100, at: 0 };
    const b = { phase: 'b', ms: 100, at: 100 };
    expect(besides(a, [a, b])).toEqual([]);
    expect(besides({ phase: 'c', ms: 50 }, [a, b])).toEqual([]);
  });
});
