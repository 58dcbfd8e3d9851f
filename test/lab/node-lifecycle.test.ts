import { CrashLoopBackOff, NODE_MONITOR_GRACE_PERIOD_MS, NodeLifecycle } from '../../src/lab/node-lifecycle';

describe('NodeLifecycle', () => {
  const ok = (...nodes: string[]) => new Map(nodes.map((n) => [n, undefined as string | undefined]));
  it('marks a silent node NotReady only after the grace period, then Ready when it answers again', () => {
    const lc = new NodeLifecycle(5000, 0, ['node1', 'node2']);
    expect(lc.observe(ok('node1', 'node2'), 1000)).toEqual([]);
    const silent = new Map([
      ['node1', undefined],
      ['node2', 'container paused'],
    ]);
    expect(lc.observe(silent, 2000).map((e) => e.kind)).toEqual(['heartbeat-missed']);
    expect(lc.answering('node2')).toBe(false);
    expect(lc.observe(silent, 5999)).toEqual([]);
    expect(lc.condition('node2')).toBe('Ready');
    const ev = lc.observe(silent, 6000);
    expect(ev).toEqual([expect.objectContaining({ kind: 'node-not-ready', node: 'node2', at: 6000 })]);
    expect(ev[0].detail).toMatch(/no heartbeat for 5\.0s .*container paused/);
    expect(lc.observe(silent, 7000)).toEqual([]);
    expect(lc.observe(ok('node1', 'node2'), 8000).map((e) => `${e.kind} ${e.node}`)).toEqual(['node-ready node2']);
    expect(lc.condition('node2')).toBe('Ready');
    expect(lc.answering('node2')).toBe(true);
  });
  it('a node that answers again before the grace period never goes NotReady', () => {
    const lc = new NodeLifecycle(5000, 0, ['n']);
    lc.observe(new Map([['n', 'exec failed']]), 1000);
    expect(lc.observe(ok('n'), 4000)).toEqual([]);
    expect(lc.observe(new Map([['n', 'x']]), 8000).map((e) => e.kind)).toEqual(['heartbeat-missed']);
  });
  it('uses the v1.32 default', () => expect(NODE_MONITOR_GRACE_PERIOD_MS).toBe(50_000));
});

describe('CrashLoopBackOff', () => {
  it('restarts at once the first time, then waits 10 s doubling to 5 min, counted from the death', () => {
    const b = new CrashLoopBackOff();
    expect(b.wait('p/c', 0, 0)).toBe(0);
    expect(b.started('p/c', 0)).toBe(10_000);
    expect(b.wait('p/c', 1000, 1000)).toBe(10_000);
    expect(b.wait('p/c', 1000, 11_000)).toBe(0);
    const delays = [b.started('p/c', 11_000)];
    let t = 11_000;
    for (let i = 0; i < 6; i++) delays.push(b.started('p/c', (t += 1000)));
    expect(delays).toEqual([20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });
  it('scales with the time-scale and resets after 10 min without a restart', () => {
    const b = new CrashLoopBackOff(0.1);
    expect(b.started('k', 0)).toBe(1000);
    expect(b.started('k', 100)).toBe(2000);
    expect(b.wait('k', 200, 300)).toBe(1900);
    expect(b.wait('k', 60_100, 60_100)).toBe(0);
    expect(b.started('k', 60_100)).toBe(1000);
  });
});
