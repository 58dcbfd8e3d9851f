/** Pure parsers for what ping, curl and ip print: probes judge observations, not plans. */

export interface PingObservation {
  transmitted: number;
  received: number;
  /** TTL of each reply, as the receiving pod saw it. */
  ttls: number[];
  /** Who answered each echo (address in the reply line). */
  from: string[];
  rttAvgMs?: number;
  error?: string;
}

export function parsePing(out: string): PingObservation {
  const ttls: number[] = [];
  const from: string[] = [];
  for (const m of out.matchAll(/bytes from ([0-9.]+):.*?ttl=(\d+)/g)) {
    from.push(m[1]);
    ttls.push(Number(m[2]));
  }
  const stats = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(out);
  const rtt = /= [0-9.]+\/([0-9.]+)\//.exec(out);
  const err = /(message too long|Network is unreachable|Destination \S+ Unreachable|No route to host)/i.exec(out);
  return {
    transmitted: stats ? Number(stats[1]) : 0,
    received: stats ? Number(stats[2]) : 0,
    ttls,
    from: [...new Set(from)],
    rttAvgMs: rtt ? Number(rtt[1]) : undefined,
    error: err?.[1],
  };
}

/** `curl -s -w '\n%{http_code} %{remote_ip}:%{remote_port} %{local_ip}:%{local_port}'` output. */
export interface HttpObservation {
  status: number;
  body: string;
  remote?: string;
  local?: string;
  /** curl's exit code: 7 = refused, 28 = timed out. */
  curlExit: number;
}

export const CURL_FORMAT = '\\n__CURL__ %{http_code} %{remote_ip}:%{remote_port} %{local_ip}:%{local_port}';

export function parseCurl(stdout: string, exitCode: number): HttpObservation {
  const i = stdout.lastIndexOf('\n__CURL__ ');
  if (i < 0) return { status: 0, body: stdout, curlExit: exitCode };
  const [code, remote, local] = stdout.slice(i + 10).trim().split(' ');
  return {
    status: Number(code),
    body: stdout.slice(0, i),
    remote: remote && remote !== ':' ? remote : undefined,
    local: local && local !== ':' ? local : undefined,
    curlExit: exitCode,
  };
}

export function curlArgv(url: string, timeoutSec = 3): string[] {
  return ['curl', '-s', '-m', String(timeoutSec), '-w', CURL_FORMAT.replace(/\\n/g, '\n'), url];
}

export function describeCurlFailure(o: HttpObservation): string {
  const why: Record<number, string> = { 7: 'connection refused', 28: 'timed out', 6: 'name not resolved', 52: 'empty reply' };
  return o.curlExit !== 0 ? `curl exit ${o.curlExit} (${why[o.curlExit] ?? 'error'})` : `HTTP ${o.status}`;
}

/** The first IPv4 address of `ip -4 -o addr show DEV`. */
export function parseIfaceAddr(out: string): string | undefined {
  return /inet ([0-9.]+)\//.exec(out)?.[1];
}

/** `ip route get` → {via, dev, src}. */
export function parseRouteGet(out: string): { via?: string; dev?: string; src?: string } {
  return {
    via: / via ([0-9.]+)/.exec(out)?.[1],
    dev: / dev (\S+)/.exec(out)?.[1],
    src: / src ([0-9.]+)/.exec(out)?.[1],
  };
}

/** MACs listed by `bridge fdb show br cbr0` that the bridge learned (not permanent). */
export function parseLearnedMacs(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.trim() && !/permanent/.test(l))
    .map((l) => l.split(' ')[0].toLowerCase());
}

/** Host part of "ip:port". */
export function hostOf(addr: string | undefined): string | undefined {
  return addr?.replace(/:\d+$/, '');
}
