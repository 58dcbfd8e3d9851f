/** Pure parser for `conntrack -L` lines: what a NAT did to a connection, as the kernel recorded it. */

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

function tuple(fields: Record<string, string>[]): Tuple {
  const f = Object.assign({}, ...fields) as Record<string, string>;
  return { src: f.src, dst: f.dst, ...(f.sport ? { sport: Number(f.sport) } : {}), ...(f.dport ? { dport: Number(f.dport) } : {}) };
}

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
    const pick = (xs: Array<[string, string]>) => xs.filter(([k]) => ['src', 'dst', 'sport', 'dport'].includes(k)).map(([k, v]) => ({ [k]: v }));
    entries.push({ proto: words[0], state, orig: tuple(pick(kv.slice(0, second))), reply: tuple(pick(kv.slice(second))), raw: l });
  }
  return entries;
}

/** argv listing a table's entries for one protocol, source and destination. */
export function conntrackListArgv(proto: 'tcp' | 'udp', src: string, dst: string): string[] {
  return ['conntrack', '-L', '-p', proto, '-s', src, '-d', dst];
}
