/** Readiness rounds on their own period (jest's fake timers): never overlapping, a late one followed at once. */
import { ReadinessTicker } from '../../../src/lab/watch/readiness-ticker';

beforeEach(() => jest.useFakeTimers({ now: 0 }));
afterEach(() => jest.useRealTimers());

async function runFor(roundMs: number, ms: number, fail = false) {
  const starts: number[] = [];
  let running = 0;
  let overlap = false;
  const errors: unknown[] = [];
  const t = new ReadinessTicker(
    1000, // periodSeconds 10 × scale 0.1
    async () => {
      starts.push(Date.now());
      if (running++) overlap = true;
      await new Promise((r) => setTimeout(r, roundMs));
      running--;
      if (fail) throw new Error('node2 stopped answering');
    },
    (e) => errors.push(e),
  );
  t.start();
  await jest.advanceTimersByTimeAsync(ms);
  const done = t.stop();
  await jest.advanceTimersByTimeAsync(roundMs);
  await done;
  return { starts, overlap, errors, rounds: t.rounds };
}

it('a quick round every period', async () => {
  const r = await runFor(100, 5500);
  expect(r.starts).toEqual([1000, 2000, 3000, 4000, 5000]);
  expect(r.overlap).toBe(false);
});

it('rounds longer than the period do not overlap: the next begins when one ends', async () => {
  const r = await runFor(2500, 9000);
  expect(r.overlap).toBe(false);
  expect(r.starts[0]).toBe(1000);
  for (let i = 1; i < r.starts.length; i++) expect(r.starts[i] - r.starts[i - 1]).toBeGreaterThanOrEqual(2500);
  expect(r.starts[1] - r.starts[0]).toBeLessThanOrEqual(2501);
});

it('a round that fails is reported and the rounds go on', async () => {
  const r = await runFor(10, 3500, true);
  expect(r.errors).toHaveLength(3);
  expect(r.rounds).toBe(3);
});
