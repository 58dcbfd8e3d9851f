/** ping as probes run it: replies, their TTLs and who sent them, and loss judged. */

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

export function pingArgv(ip: string, count = 3, extra: string[] = []): string[] {
  return ['ping', '-c', String(count), '-i', '0.2', '-W', '2', ...extra, ip];
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

/** `3/3 replies from 10.244.1.2`: what the table shows. */
export function describePing(p: PingObservation): string {
  return `${p.received}/${p.transmitted} replies${p.from.length ? ` from ${p.from.join(',')}` : ''}${p.error ? ` (${p.error})` : ''}`;
}

/** Why the echoes do not show a lossless path, or undefined: every echo sent was answered. */
export function pingLoss(p: PingObservation): string | undefined {
  if (p.transmitted === 0) return `ping sent nothing${p.error ? ` (${p.error})` : ''}`;
  if (p.received < p.transmitted) return `ping: ${describePing(p)}: ${p.transmitted - p.received} lost`;
  return undefined;
}
