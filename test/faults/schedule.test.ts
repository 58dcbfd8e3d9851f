import { startFaultSchedule } from '../../src/lab/faults/schedule';
import type { FaultRecord, FaultRequest } from '../../src/faults/render';

function deps(failInject?: RegExp) {
  const log: string[] = [];
  const calls: string[] = [];
  let n = 0;
  return {
    log,
    calls,
    d: {
      inject: async (r: FaultRequest) => {
        calls.push(`inject ${r.kind} ${r.target}`);
        if (failInject?.test(r.kind)) throw new Error(`TARGET: no node ${r.target}`);
        return { id: `f${++n}`, kind: r.kind, target: r.target } as FaultRecord;
      },
      clear: async (id: string) => void calls.push(`clear ${id}`),
      log: (l: string) => void log.push(l),
    },
  };
}

describe('the faults: schedule', () => {
  it('passes: injects after the delay, clears after the duration, in time order', async () => {
    const { d, calls, log } = deps();
    const t0 = Date.now();
    const s = startFaultSchedule(
      [
        { kind: 'node-stop', target: 'node2', afterMs: 60, durationMs: 60 },
        { kind: 'partition', target: 'node1', peer: 'node3', afterMs: 0 },
      ],
      d,
    );
    await s.done;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(115);
    expect(calls).toEqual(['inject partition node1', 'inject node-stop node2', 'clear f2']);
    expect(log[1]).toBe('fault schedule: faults[0] node-stop node2 injected as f2, cleared in 0.06s');
  });
  it('fails: a fault that cannot be injected is said and not cleared; the others still run', async () => {
    const { d, calls, log } = deps(/node-stop/);
    await startFaultSchedule(
      [
        { kind: 'node-stop', target: 'node2', afterMs: 0, durationMs: 10 },
        { kind: 'link-down', target: 'node1', afterMs: 20 },
      ],
      d,
    ).done;
    expect(calls).toEqual(['inject node-stop node2', 'inject link-down node1']);
    expect(log[0]).toBe('fault schedule: faults[0] node-stop node2 not injected: TARGET: no node node2');
  });
  it('stop cancels what has not happened', async () => {
    const { d, calls } = deps();
    const s = startFaultSchedule([{ kind: 'node-stop', target: 'node2', afterMs: 10_000 }], d);
    s.stop();
    await s.done;
    expect(calls).toEqual([]);
  });
});
