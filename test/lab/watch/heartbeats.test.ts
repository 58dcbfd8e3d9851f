/**
 * Heartbeats on their own clock (jest's fake timers: Date.now and setTimeout are fake): leases
 * renewed every 10 s × scale, NotReady judged every 5 s × scale on the time since the last renewal,
 * whether a round is quick or slow, and never for a node that was not seen missing one.
 */
import { NodeEvent, NodeLifecycle } from '../../../src/lab/node-lifecycle';
import { Heartbeats } from '../../../src/lab/watch/heartbeats';

const SCALE = 0.1; // renew 1 s, monitor 0.5 s, grace 5 s

function setup(answers: (t: number) => string | undefined, roundMs = 0, fails?: (t: number) => boolean) {
  const lifecycle = new NodeLifecycle(50_000 * SCALE, Date.now(), ['node1', 'node2']);
  const events: NodeEvent[] = [];
  const errors: unknown[] = [];
  const hb = new Heartbeats({
    lifecycle,
    scale: SCALE,
    renew: async () => {
      const t = Date.now();
      if (roundMs) await new Promise((r) => setTimeout(r, roundMs));
      if (fails?.(t)) throw new Error('engine did not answer');
      // What the round saw is what was true when it began (the engine's state then).
      return new Map([
        ['node1', undefined],
        ['node2', answers(t)],
      ]);
    },
    onEvents: (e) => events.push(...e),
    onError: (e) => errors.push(e),
  });
  return { lifecycle, events, errors, hb };
}

/** Stops the timers; a round still running finishes on the fake clock. */
async function stop(hb: Heartbeats): Promise<void> {
  const done = hb.stop();
  await jest.advanceTimersByTimeAsync(10_000);
  await done;
}

beforeEach(() => jest.useFakeTimers({ now: 0 }));
afterEach(() => jest.useRealTimers());

it('a node silent from 3.5 s: missed at the 4 s round, NotReady at 8 s (last renewal 3 s + grace 5 s), with no watch iteration at all', async () => {
  const { events, hb } = setup((t) => (t < 3500 ? undefined : 'node container exited'));
  hb.start();
  await jest.advanceTimersByTimeAsync(20_000);
  await stop(hb);
  expect(events.map((e) => `${e.kind} ${e.node} ${e.at}`)).toEqual([
    'heartbeat-missed node2 4000',
    'node-not-ready node2 8000',
  ]);
  expect(events[1].detail).toMatch(
    /^no heartbeat for 5\.0s \(node-monitor-grace-period 5\.0s\): node container exited/,
  );
  expect(hb.rounds).toBeGreaterThanOrEqual(19);
});

it('NotReady is not declared before the grace period: at 7.9 s node2 is still Ready', async () => {
  const { lifecycle, events, hb } = setup((t) => (t < 3500 ? undefined : 'node container exited'));
  hb.start();
  await jest.advanceTimersByTimeAsync(7900);
  expect(lifecycle.condition('node2')).toBe('Ready');
  expect(lifecycle.answering('node2')).toBe(false);
  await jest.advanceTimersByTimeAsync(200);
  expect(lifecycle.condition('node2')).toBe('NotReady');
  await stop(hb);
  expect(events.filter((e) => e.kind === 'node-not-ready')).toHaveLength(1);
});

it('rounds slower than the grace period (7 s each) never make a healthy node NotReady', async () => {
  const { lifecycle, events, hb } = setup(() => undefined, 7000);
  hb.start();
  await jest.advanceTimersByTimeAsync(60_000);
  await stop(hb);
  expect(events).toEqual([]);
  expect(lifecycle.condition('node2')).toBe('Ready');
  expect(hb.longestRoundMs).toBe(7000);
});

it('with 7 s rounds a node dead from 3 s is NotReady at the first check after its miss is known, counted from its last renewal (0 s)', async () => {
  const { events, hb } = setup((t) => (t < 3000 ? undefined : 'node container exited'), 7000);
  hb.start();
  await jest.advanceTimersByTimeAsync(30_000);
  await stop(hb);
  // Rounds begin at 0 (renewed), 7 s (sees it dead; known at 14 s).
  const missed = events.find((e) => e.kind === 'heartbeat-missed')!;
  const nr = events.find((e) => e.kind === 'node-not-ready')!;
  expect(missed.at - 7000).toBeLessThanOrEqual(1); // the next round at once (a 0 ms timer fires after 1 ms)
  expect(missed.at).toBeGreaterThanOrEqual(7000);
  expect(nr.at).toBeGreaterThanOrEqual(14_000);
  expect(nr.at).toBeLessThanOrEqual(14_500);
  expect(nr.detail).toMatch(/^no heartbeat for 14\.\ds/);
});

it('a node that answers again is Ready at the round that renewed its lease', async () => {
  const { events, hb } = setup((t) => (t >= 2000 && t < 9000 ? 'link v-node2 down' : undefined));
  hb.start();
  await jest.advanceTimersByTimeAsync(12_000);
  await stop(hb);
  expect(events.map((e) => `${e.kind} ${e.at}`)).toEqual([
    'heartbeat-missed 2000',
    'node-not-ready 6000',
    'node-ready 9000',
  ]);
});

it('rounds the engine does not answer renew nothing and miss nothing: no NotReady from a silent engine', async () => {
  const { events, errors, lifecycle, hb } = setup(
    () => undefined,
    0,
    (t) => t >= 1000,
  );
  hb.start();
  await jest.advanceTimersByTimeAsync(20_000);
  await stop(hb);
  expect(errors.length).toBeGreaterThanOrEqual(18);
  expect(events).toEqual([]);
  expect(lifecycle.condition('node2')).toBe('Ready');
});
