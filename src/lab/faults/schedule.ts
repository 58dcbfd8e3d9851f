/**
 * The topology's `faults:` run by `lab watch`: each injected after its start delay (from the
 * watch's start) and cleared after its duration. A fault that cannot be injected or cleared is
 * said, not thrown: the control loop goes on.
 */
import type { ScheduledFault } from '../../model/types';
import type { FaultRecord, FaultRequest } from '../../faults/render';

export interface ScheduleDeps {
  inject: (req: FaultRequest) => Promise<FaultRecord>;
  clear: (id: string) => Promise<void>;
  log: (line: string) => void;
}

export interface FaultSchedule {
  /** Cancels what has not happened yet (a fault already injected stays, as with lab fault inject). */
  stop: () => void;
  /** Settles when every timer has run (or stop was called). */
  done: Promise<void>;
}

export function startFaultSchedule(faults: ScheduledFault[], deps: ScheduleDeps): FaultSchedule {
  const timers = new Set<NodeJS.Timeout>();
  let pending = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => (finish = r));
  const later = (ms: number, f: () => Promise<void>) => {
    pending++;
    const t = setTimeout(() => {
      timers.delete(t);
      void f().finally(() => {
        if (--pending === 0) finish();
      });
    }, ms);
    timers.add(t);
  };
  faults.forEach((f, i) =>
    later(f.afterMs, async () => {
      const what = `faults[${i}] ${f.kind} ${f.target}`;
      let rec: FaultRecord;
      try {
        rec = await deps.inject({ kind: f.kind, target: f.target, peer: f.peer, percent: f.percent });
      } catch (err) {
        deps.log(`fault schedule: ${what} not injected: ${(err as Error).message.split('\n')[0]}`);
        return;
      }
      deps.log(
        `fault schedule: ${what} injected as ${rec.id}${f.durationMs !== undefined ? `, cleared in ${f.durationMs / 1000}s` : ''}`,
      );
      if (f.durationMs !== undefined)
        later(f.durationMs, async () => {
          try {
            await deps.clear(rec.id);
            deps.log(`fault schedule: ${rec.id} (${what}) cleared`);
          } catch (err) {
            deps.log(`fault schedule: ${rec.id} not cleared: ${(err as Error).message.split('\n')[0]}`);
          }
        });
    }),
  );
  if (pending === 0) finish();
  return {
    stop: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      finish();
    },
    done,
  };
}
