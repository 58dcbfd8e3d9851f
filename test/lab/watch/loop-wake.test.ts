/** The loop's wait (jest's fake timers): a wake while the loop is busy is kept for the next wait. */
import { LoopWake } from '../../../src/lab/watch/loop-wake';

beforeEach(() => jest.useFakeTimers({ now: 0 }));
afterEach(() => jest.useRealTimers());

async function waited(w: LoopWake, ms: number, wakeAt?: number): Promise<number> {
  let done = -1;
  void w.sleep(ms).then(() => (done = Date.now()));
  if (wakeAt !== undefined) setTimeout(() => w.wake(), wakeAt);
  await jest.advanceTimersByTimeAsync(ms + 10);
  return done;
}

describe('LoopWake', () => {
  it('sleeps the whole wait when nothing wakes it', async () => {
    expect(await waited(new LoopWake(), 500)).toBe(500);
  });
  it('a wake during the wait ends it then', async () => {
    expect(await waited(new LoopWake(), 500, 120)).toBe(120);
  });
  it('a wake while the loop is busy (no wait pending) ends the next wait at once, once', async () => {
    const w = new LoopWake();
    w.wake();
    expect(await waited(w, 500)).toBe(0);
    // consumed: the wait after that sleeps again
    const t = Date.now();
    expect((await waited(w, 500)) - t).toBe(500);
  });
});
