/** Many requests in one exec: who answered each, as the client saw it, and tallies of the answers. */
import { programSource } from '../images/programs';
import { runPython } from '../plan/shell';
import { CurlOptions, HttpObservation, parseCurl } from './curl';

export interface SweepOptions extends CurlOptions {
  /** Stop after that many failures in a row (a dead path need not cost K timeouts). */
  giveUpAfter?: number;
  /**
   * Send a request that timed out (curl exit 28) once more, on a new connection, and print `~`
   * before its line (sweepRetries counts them): under load a slow answer is not a lost one. Any
   * other failure, and a second time-out, stays a failed request.
   */
  retryTimeouts?: boolean;
  /**
   * Requests in flight at once (default SWEEP_PARALLEL). Each is its own connection, so each is
   * its own load-balancing choice whether sent alone or side by side; 1 where the order matters
   * (sessionAffinity: the first connection must have set the affinity before the next is sent).
   */
  parallel?: number;
}

/** Requests a sweep has in flight at once by default. */
export const SWEEP_PARALLEL = 8;

/**
 * Script: K HTTP requests, each on a new connection, one line each in the order sent:
 * `<curl exit> <body> __CURL__ <code> <remote> <local>` (images/probes/http-sweep.py: one process
 * for the K requests, where a curl per request cost a process start each).
 */
export function renderHttpSweep(url: string, k: number, opts: SweepOptions | number = {}): string {
  const o: SweepOptions = typeof opts === 'number' ? { timeoutSec: opts } : opts;
  return runPython(
    programSource('httpSweep'),
    [
      url,
      k,
      o.timeoutSec ?? 2,
      o.parallel ?? SWEEP_PARALLEL,
      o.giveUpAfter ?? 0,
      o.retryTimeouts ? 1 : 0,
      o.iface ?? '',
      ...(o.headers ?? []),
    ],
    'K8S_NETLAB_SWEEP',
  );
}

/** The K of a rendered HTTP sweep (for fakes that answer one line per request). */
export function sweepCount(script: string): number | undefined {
  const m = /^python3 - \S+ (\d+) /m.exec(script);
  return m ? Number(m[1]) : undefined;
}

/** How many requests of a sweep were sent again after a time-out (renderHttpSweep's `~` lines). */
export function sweepRetries(out: string): number {
  return out.split('\n').filter((l) => l.trim() === '~').length;
}

/**
 * Script: K UDP datagrams, each from a new socket (a new source port, so a new conntrack entry and
 * a fresh load-balancing choice), one line each: `0 200 <answer>` or `1 0 ` on timeout
 * (images/probes/udp-sweep.py).
 */
export function renderUdpSweep(ip: string, port: number, msg: string, k: number): string {
  return runPython(programSource('udpSweep'), [ip, port, msg, k]);
}

export interface SweepLine {
  exit: number;
  code: number;
  body: string;
  /** HTTP: curl's local address (ip:port) of the request. */
  local?: string;
}

/** Parses HTTP sweep lines (renderHttpSweep); retry marks are counted by sweepRetries. */
export function parseHttpSweep(out: string): SweepLine[] {
  return out
    .split('\n')
    .filter((l) => l.trim() && l.trim() !== '~')
    .map((l) => {
      const m = /^(\d+) ?(.*)$/.exec(l.trim())!;
      const o: HttpObservation = parseCurl(
        m[2].replace(/ __CURL__ /, '\n__CURL__ ').replace(/^__CURL__ /, '\n__CURL__ '),
        Number(m[1]),
      );
      return { exit: o.curlExit, code: o.status, body: o.body.trim(), local: o.local };
    });
}

/** Parses UDP sweep lines `<0|1> <200|0> <answer>`. */
export function parseUdpSweep(out: string): SweepLine[] {
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const f = l.trim().split(' ');
      return { exit: Number(f[0]), code: Number(f[1]), body: f.slice(2).join(' ') };
    });
}

/** A line that carries an answer to judge: no error, a success code, a non-empty body. */
export function lineAnswered(l: SweepLine): boolean {
  return l.exit === 0 && l.code === 200 && l.body !== '';
}

export const FAILED = '(failed';

/** Answers by body; failed requests counted apart as `(failed: curl exit N)`. */
export function tally(lines: SweepLine[]): Record<string, number> {
  return count(
    lines.map((l) => (lineAnswered(l) ? l.body : `${FAILED}: exit ${l.exit}${l.code ? `, HTTP ${l.code}` : ''})`)),
  );
}

export function count(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/** The answering names of a tally (failures left out) and how many requests failed. */
export function splitTally(t: Record<string, number>): { names: string[]; failed: number } {
  const names = Object.keys(t).filter((k) => !k.startsWith(FAILED));
  const failed = Object.entries(t)
    .filter(([k]) => k.startsWith(FAILED))
    .reduce((n, [, v]) => n + v, 0);
  return { names, failed };
}
