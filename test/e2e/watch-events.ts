/**
 * The e2e side of `lab watch --json`: a running watch whose timeline events are recorded as they
 * arrive, a wait for the first event after a mark that matches, and `lab verify` of one path. One
 * copy for every fault e2e file (faults*, node-restart, eviction, load).
 */
import execa from 'execa';
import { LAB_BIN, ROOT, failingProbes, lab } from './helpers';

/** One line of `lab watch --json`. */
export interface WatchEvent {
  kind: string;
  node?: string;
  detail: string;
  at: number;
  sinceFaultMs?: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WatchRecorder {
  /** Every event seen so far, in arrival order. */
  readonly events: WatchEvent[];
  /** The index the next event will have: pass it to `waitFor` to look only at what comes after. */
  mark(): number;
  /** The first event at index ≥ `from` matching `pred`; throws naming what it saw after `ms`. */
  waitFor(from: number, pred: (e: WatchEvent) => boolean, what: string, ms?: number): Promise<WatchEvent>;
  /** SIGINT to the watch, and its output once it ended. */
  stop(): Promise<{ stdout: string; stderr: string }>;
}

/**
 * Starts `lab watch --name NAME --json ARGS…` and records its events. `args` carries the rest
 * (`--time-scale 0.1`, `--eviction`…).
 */
export function startWatch(name: string, args: string[] = []): WatchRecorder {
  const events: WatchEvent[] = [];
  const child = execa('node', [LAB_BIN, 'watch', '--name', name, '--json', ...args], { cwd: ROOT, reject: false });
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.startsWith('{')) events.push(JSON.parse(line) as WatchEvent);
    }
  });
  let stopped: Promise<{ stdout: string; stderr: string }> | undefined;
  return {
    events,
    mark: () => events.length,
    async waitFor(from, pred, what, ms = 90_000) {
      const end = Date.now() + ms;
      for (;;) {
        const e = events.slice(from).find(pred);
        if (e) return e;
        if (Date.now() > end)
          throw new Error(
            `no ${what} within ${ms} ms; events: ${events
              .slice(from)
              .map((x) => `${x.kind} ${x.node ?? ''} ${x.detail}`)
              .join(' | ')}`,
          );
        await sleep(200);
      }
    },
    stop() {
      stopped ??= (async () => {
        child.kill('SIGINT');
        const r = await child.catch((e: execa.ExecaError) => e);
        return { stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
      })();
      return stopped;
    },
  };
}

/** `lab verify --path P` on lab `name`: whether it passed, and its FAIL lines. */
export async function verifyPath(name: string, p: string): Promise<{ ok: boolean; fails: string[]; why: string[] }> {
  const r = await lab(['verify', '--name', name, '--path', p]);
  return {
    ok: r.exitCode === 0,
    fails: r.stdout
      .split('\n')
      .filter((l) => /^ {2}FAIL/.test(l))
      .map((l) => l.trim()),
    // Each FAIL with what was observed and why (for a test's failure message).
    why: failingProbes(r.stdout),
  };
}
