/** One at a time (jest's fake timers): the watch's syncs, repairs and evictions never overlap. */
import { Serial } from '../../../src/lab/watch/serial';

beforeEach(() => jest.useFakeTimers({ now: 0 }));
afterEach(() => jest.useRealTimers());

describe('Serial', () => {
  it('runs one at a time, in the order asked, and goes on after a failure', async () => {
    const s = new Serial();
    const log: string[] = [];
    const job = (name: string, ms: number, fail = false) =>
      s.run(async () => {
        log.push(`${name}+`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name}-`);
        if (fail) throw new Error(name);
        return name;
      });
    const a = job('a', 300, true);
    const b = job('b', 100);
    const c = job('c', 10);
    a.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(500);
    await expect(a).rejects.toThrow('a');
    await expect(b).resolves.toBe('b');
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    await s.idle();
  });
});
