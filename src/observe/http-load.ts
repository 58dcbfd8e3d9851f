/**
 * A bounded HTTP load generator run inside a lab container (python3 is in the image, wrk is not),
 * images/load/http-load.py:
 * `connections` threads for `seconds`, each either reusing one keep-alive connection or opening
 * a new one per request, every request timed. Prints one JSON line: counts, statuses, errors,
 * latency percentiles. Used by the ingress benchmark and by the reload-without-drops test.
 */
import { programSource } from '../images/programs';
import { runPython } from '../plan/shell';

export interface HttpLoadOptions {
  /** Address and port to connect to (the ingress' public address). */
  ip: string;
  port?: number;
  host: string;
  path: string;
  seconds: number;
  connections: number;
  /** Keep-alive connections (true) or a new connection per request (false). */
  keepalive: boolean;
  /** Body each answer must have (e.g. a pod name prefix is not known: leave undefined to accept any 200). */
  timeoutSec?: number;
}

export interface HttpLoadResult {
  requests: number;
  ok: number;
  errors: number;
  /** Status code -> count ("error" for exceptions). */
  statuses: Record<string, number>;
  errorSamples: string[];
  /** Requests retried once on a new connection after a reused keep-alive connection closed without answering. */
  retried: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p90ms: number;
  p99ms: number;
  maxms: number;
}

/** The program's arguments (images/load/http-load.py). */
export function httpLoadArgs(o: HttpLoadOptions): Array<string | number> {
  return [o.ip, o.port ?? 80, o.host, o.path, o.seconds, o.connections, o.keepalive ? 1 : 0, o.timeoutSec ?? 5];
}

/** Shell command that runs the load (the program fed to python3 on standard input). */
export function renderHttpLoad(o: HttpLoadOptions): string {
  return runPython(programSource('httpLoad'), httpLoadArgs(o));
}

/** The JSON line the script prints (the last line starting with `{`). */
export function parseHttpLoad(out: string): HttpLoadResult {
  const line = out
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  if (!line) throw new Error(`load generator printed no result: ${out.trim().slice(0, 300)}`);
  return JSON.parse(line) as HttpLoadResult;
}
