/**
 * curl as every probe runs it: one `-w` format (status, remote and local address after a marker),
 * one parser, one description of failures. Shell scripts use curlShell(), argv users curlArgv().
 */
import { q } from '../plan/shell';

/** What one HTTP request observed. */
export interface HttpObservation {
  status: number;
  body: string;
  remote?: string;
  local?: string;
  /** curl's exit code: 7 = refused, 28 = timed out. */
  curlExit: number;
}

/** Written after the body by curl -w (curl expands \n itself). */
export const CURL_FORMAT = '\\n__CURL__ %{http_code} %{remote_ip}:%{remote_port} %{local_ip}:%{local_port}';
const MARK = '__CURL__ ';

export interface CurlOptions {
  timeoutSec?: number;
  /** Source address or interface (curl --interface). */
  iface?: string;
  headers?: string[];
}

export function curlArgv(url: string, opts: CurlOptions | number = {}): string[] {
  const o = typeof opts === 'number' ? { timeoutSec: opts } : opts;
  return [
    'curl',
    '-s',
    '-m',
    String(o.timeoutSec ?? 3),
    ...(o.iface ? ['--interface', o.iface] : []),
    ...(o.headers ?? []).flatMap((h) => ['-H', h]),
    '-w',
    CURL_FORMAT,
    url,
  ];
}

/** The same request as a shell command line. */
export function curlShell(url: string, opts: CurlOptions = {}): string {
  return curlArgv(url, opts).map(q).join(' ');
}

export function parseCurl(stdout: string, exitCode: number): HttpObservation {
  const i = stdout.lastIndexOf(MARK);
  if (i < 0) return { status: 0, body: stdout.trim(), curlExit: exitCode };
  const [code, remote, local] = stdout
    .slice(i + MARK.length)
    .trim()
    .split(/\s+/);
  const addr = (a?: string) => (a && !a.startsWith(':') && a !== ':' ? a : undefined);
  return {
    status: Number(code) || 0,
    body: stdout.slice(0, i).replace(/[\n ]$/, ''),
    remote: addr(remote),
    local: addr(local),
    curlExit: exitCode,
  };
}

const WHY: Record<number, string> = {
  7: 'connection refused',
  28: 'timed out',
  6: 'name not resolved',
  52: 'empty reply',
  56: 'connection reset',
};

export function describeCurlFailure(o: HttpObservation): string {
  return o.curlExit !== 0 ? `curl exit ${o.curlExit} (${WHY[o.curlExit] ?? 'error'})` : `HTTP ${o.status}`;
}

/** True when the request got an HTTP 200 with a non-empty body: an answer something can be judged on. */
export function answered(o: HttpObservation): boolean {
  return o.curlExit === 0 && o.status === 200 && o.body.trim() !== '';
}

/** Host part of "ip:port". */
export function hostOf(addr: string | undefined): string | undefined {
  const h = addr?.trim().replace(/:\d+$/, '');
  return h ? h : undefined;
}

/** Port part of "ip:port". */
export function portOf(addr: string | undefined): number | undefined {
  const m = /:(\d+)$/.exec(addr ?? '');
  return m ? Number(m[1]) : undefined;
}
