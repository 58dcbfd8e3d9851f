/** Many requests in one exec: who answered each, as the client saw it. */
import { q } from '../plan/shell';

/** Script: K HTTP requests, one line each: `<curl exit> <http code> <body>`. */
export function renderHttpSweep(url: string, k: number, timeoutSec = 2): string {
  return `i=0; while [ $i -lt ${k} ]; do i=$((i+1)); b=$(curl -s -m ${timeoutSec} -w ' %{http_code}' ${q(url)}); echo "$? $b"; done`;
}

/**
 * Script: K UDP datagrams, each from a new socket (a new source port, so a new conntrack entry and
 * a fresh load-balancing choice), one line each: `0 200 <answer>` or `1 0 ` on timeout.
 */
export function renderUdpSweep(ip: string, port: number, msg: string, k: number): string {
  const py = [
    'import socket,sys',
    `for i in range(${k}):`,
    '  s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(1)',
    `  s.sendto(${JSON.stringify(msg)}.encode(),(${JSON.stringify(ip)},${port}))`,
    '  try: print("0 200 "+s.recv(2048).decode())',
    '  except Exception: print("1 0 ")',
    '  s.close()',
  ].join('\n');
  return `python3 -c ${q(py)}`;
}

export interface SweepLine {
  exit: number;
  code: number;
  body: string;
}

/** Parses `<exit> <body> <code>` (HTTP) lines; a body never holds spaces for the netexec endpoints used. */
export function parseHttpSweep(out: string): SweepLine[] {
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const f = l.trim().split(' ');
      const exit = Number(f[0]);
      const code = Number(f[f.length - 1]);
      return { exit, code, body: f.slice(1, -1).join(' ') };
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

export function tally(lines: SweepLine[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const l of lines) {
    const k = l.exit === 0 && (l.code === 200 || l.code === 0) && l.body ? l.body : `(failed: curl exit ${l.exit})`;
    t[k] = (t[k] ?? 0) + 1;
  }
  return t;
}
