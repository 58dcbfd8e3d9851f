/** conntrack as probes read it: what a NAT did to a connection, as the kernel recorded it. */

export interface Tuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
}

export interface ConntrackEntry {
  proto: string;
  state?: string;
  /** The packet as first seen (before NAT). */
  orig: Tuple;
  /** The reply as expected (after NAT): reply.dst differs from orig.src when the source was NATed. */
  reply: Tuple;
  raw: string;
}

function tuple(kv: Array<[string, string]>): Tuple {
  const f = Object.fromEntries(kv.filter(([k]) => ['src', 'dst', 'sport', 'dport'].includes(k)));
  return {
    src: f.src,
    dst: f.dst,
    ...(f.sport ? { sport: Number(f.sport) } : {}),
    ...(f.dport ? { dport: Number(f.dport) } : {}),
  };
}

/** Parses `conntrack -L` lines (tcp, udp, icmp, sctp); other lines (the summary) are skipped. */
export function parseConntrack(out: string): ConntrackEntry[] {
  const entries: ConntrackEntry[] = [];
  for (const line of out.split('\n')) {
    const l = line.trim();
    if (!/^(tcp|udp|icmp|sctp)\s/.test(l)) continue;
    const words = l.split(/\s+/);
    const kv: Array<[string, string]> = [];
    let state: string | undefined;
    for (const w of words.slice(3)) {
      const i = w.indexOf('=');
      if (i > 0) kv.push([w.slice(0, i), w.slice(i + 1)]);
      else if (/^[A-Z_]+$/.test(w) && kv.length === 0) state = w;
    }
    // The second src= starts the reply tuple.
    const second = kv.findIndex(([k], i) => k === 'src' && i > 0);
    if (second < 0) continue;
    entries.push({ proto: words[0], state, orig: tuple(kv.slice(0, second)), reply: tuple(kv.slice(second)), raw: l });
  }
  return entries;
}

/** The DNAT of each connection to `vip` (conntrack -L): protocol, client, and the target it was sent to (reply source). */
export function parseConntrackDnat(out: string, vip: string): Array<{ proto: string; from: string; to: string }> {
  return parseConntrack(out)
    .filter((e) => e.orig.dst === vip)
    .map((e) => ({ proto: e.proto, from: e.orig.src, to: e.reply.src }));
}

/** argv listing a table's entries for one protocol, source and destination. */
export function conntrackListArgv(proto: 'tcp' | 'udp', src: string, dst: string): string[] {
  return ['conntrack', '-L', '-p', proto, '-s', src, '-d', dst];
}

/** `orig a:p -> b:q | reply c:r -> d:s`. */
export function describeEntry(e: ConntrackEntry): string {
  const t = (x: Tuple) => `${x.src}${x.sport ? `:${x.sport}` : ''} -> ${x.dst}${x.dport ? `:${x.dport}` : ''}`;
  return `${e.proto} orig ${t(e.orig)} | reply ${t(e.reply)}`;
}
