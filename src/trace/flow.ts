/**
 * Follows ONE probe across capture points, through NAT, the way conntrack would: a packet
 * belongs to the flow if it carries the probe's marker, repeats a tuple already known to belong
 * to it (either direction), is the very same packet seen at another hop (same IP ID, TCP
 * seq/ack/flags and payload: none of these change under NAT or routing), continues the TCP
 * connection's sequence spaces, or is an ICMP error quoting one of the flow's tuples. A packet
 * with known evidence but a new tuple teaches the rewritten tuple. Learning repeats until
 * nothing new matches, so a SYN (no payload) is found from the marker-bearing request after it.
 */
import { L4Info } from './pcap-types';
import {
  Candidate,
  TCP_WINDOW,
  compareTime,
  hasAck,
  icmpErrorText,
  isDnsResponse,
  near,
  packetTuple,
  reverseKey,
  seedMatches,
  toCandidates,
  endpointString,
} from './flow-match';
import type { Direction, FlowQuery, FlowResult, HopFrames, MatchReason, Observation } from './flow-types';

/** Find the probe's packets at every point and order its journey. */
export function findFlow(hops: HopFrames[], query: FlowQuery): FlowResult {
  const marker = query.marker ? Buffer.from(query.marker) : undefined;
  const order = query.order ?? [];
  const seedPoint = query.first?.point ?? order[0];
  const cands = toCandidates(hops);
  const tupleDir = new Map<string, Direction>();
  const reqTuples: string[] = [];
  const fps = new Map<string, Direction>();
  // Sequence-space references of each TCP connection of the flow (client's and server's): they
  // survive NAT and tell the probe from another connection reusing the same tuple. A proxy
  // (ingress) carries the probe on a second connection with its own sequence spaces.
  interface Conn {
    client?: number;
    server?: number;
    ports: Set<number>;
  }
  const conns: Conn[] = [];
  const connOfKey = new Map<string, number>();
  const connOfFp = new Map<string, number>();

  const learn = (c: Candidate, direction: Direction, matchedBy: MatchReason, conn?: number): void => {
    const l4 = c.l4;
    const obs: Observation = {
      point: c.hop.point,
      pcapFile: c.hop.pcapFile,
      frame: c.frame.frame,
      ts: c.frame.ts,
      sec: c.frame.sec,
      nsec: c.frame.nsec,
      direction,
      proto: l4.kind,
      src: c.ip.src,
      sport: l4.kind === 'icmp' ? undefined : l4.sport,
      dst: c.ip.dst,
      dport: l4.kind === 'icmp' ? undefined : l4.dport,
      ttl: c.ip.ttl,
      ipId: c.ip.id,
      len: c.ip.len,
      flags: l4.flags,
      icmpType: l4.icmpType,
      icmpCode: l4.icmpCode,
      icmpId: l4.icmpId,
      icmpSeq: l4.icmpSeq,
      encap: c.encap,
      matchedBy,
      fingerprint: c.fp,
    };
    if (l4.quoted) {
      obs.icmpError = {
        type: l4.icmpType!,
        code: l4.icmpCode!,
        mtu: l4.mtu,
        from: c.ip.src,
        text: icmpErrorText(l4.icmpType!, l4.icmpCode!, l4.mtu),
      };
    }
    c.matched = obs;
    if (!fps.has(c.fp)) fps.set(c.fp, direction);
    if (c.key && !tupleDir.has(c.key)) {
      tupleDir.set(c.key, direction);
      tupleDir.set(reverseKey(c.key), direction === 'request' ? 'reply' : 'request');
      reqTuples.push(direction === 'request' ? c.key : reverseKey(c.key));
    }
    if (l4.kind === 'tcp' && !l4.quoted) {
      const i = conn ?? conns.push({ ports: new Set() }) - 1;
      const k = conns[i];
      if (c.key && !connOfKey.has(c.key)) {
        connOfKey.set(c.key, i);
        connOfKey.set(reverseKey(c.key), i);
      }
      if (!connOfFp.has(c.fp)) connOfFp.set(c.fp, i);
      k.ports.add(l4.sport!).add(l4.dport!);
      const acked = hasAck(l4.flags);
      if (direction === 'request') {
        k.client ??= l4.seq;
        if (acked) k.server ??= l4.ack;
      } else {
        if (acked) k.client ??= l4.ack;
        // A RST answering a SYN carries seq 0: no server sequence space to learn.
        if (!l4.flags?.includes('R')) k.server ??= l4.seq;
      }
    }
  };

  /** A TCP segment fits the probe's sequence spaces as far as they are known. */
  const tcpConsistent = (l4: L4Info, dir: Direction, conn: number | undefined): boolean => {
    if (conn === undefined) return true;
    const { client: clientRef, server: serverRef } = conns[conn];
    const acked = hasAck(l4.flags);
    if (dir === 'request') {
      if (clientRef !== undefined && !near(l4.seq, clientRef)) return false;
      if (acked && serverRef !== undefined && !near(l4.ack, serverRef)) return false;
    } else {
      if (acked && clientRef !== undefined && !near(l4.ack, clientRef)) return false;
      if (!l4.flags?.includes('R') && serverRef !== undefined && !near(l4.seq, serverRef)) return false;
    }
    return true;
  };

  /** Direction from the packet alone, when its semantics say. */
  const semanticDirection = (c: Candidate): Direction | undefined => {
    const l4 = c.l4;
    if (l4.kind === 'icmp') return l4.icmpType === 8 ? 'request' : l4.icmpType === 0 ? 'reply' : undefined;
    if (l4.kind === 'tcp') {
      if (l4.flags === 'S') return 'request';
      if (l4.flags === 'S.') return 'reply';
      // A packet of a connection already known by its sequence numbers.
      for (const k of conns) {
        if (hasAck(l4.flags) && near(l4.ack, k.client)) return 'reply';
        if (near(l4.seq, k.client)) return 'request';
      }
      return undefined;
    }
    return isDnsResponse(l4, c.pkt.payload) ? 'reply' : undefined;
  };

  const tryMatch = (c: Candidate): [Direction, MatchReason, number?] | undefined => {
    const l4 = c.l4;
    if (l4.quoted) {
      const q = l4.quoted;
      const qkey = q.l4 ? packetTuple(q.ip, q.l4) : undefined;
      const qdir = qkey ? tupleDir.get(qkey) : undefined;
      // The error travels against the packet it quotes.
      if (qdir) return [qdir === 'request' ? 'reply' : 'request', 'icmp-quote'];
      return undefined;
    }
    if (c.key && tupleDir.has(c.key)) {
      const dir = tupleDir.get(c.key)!;
      const conn = connOfKey.get(c.key);
      // Same tuple, other sequence space: a later connection reusing the port, not our probe
      // (unless it is the same packet or carries the marker, checked next).
      if (l4.kind !== 'tcp' || tcpConsistent(l4, dir, conn)) return [dir, 'tuple', conn];
    }
    const fdir = fps.get(c.fp);
    if (fdir) return [fdir, 'same-packet', connOfFp.get(c.fp)];
    if (marker && c.pkt.payload.includes(marker)) return [semanticDirection(c) ?? 'request', 'marker'];
    if (l4.kind === 'tcp') {
      const acked = hasAck(l4.flags);
      for (let i = 0; i < conns.length; i++) {
        const { client: clientRef, server: serverRef, ports } = conns[i];
        if (clientRef === undefined || !(ports.has(l4.sport!) || ports.has(l4.dport!))) continue;
        if (l4.flags === 'S' && (clientRef - l4.seq!) >>> 0 < TCP_WINDOW) return ['request', 'tcp-seq', i];
        if (acked && near(l4.ack, clientRef) && (serverRef === undefined ? l4.flags === 'S.' : near(l4.seq, serverRef)))
          return ['reply', 'tcp-seq', i];
        if (acked && serverRef !== undefined && near(l4.seq, clientRef) && near(l4.ack, serverRef))
          return ['request', 'tcp-seq', i];
      }
    }
    return undefined;
  };

  let seedMissed = false;
  // Seed: the earliest packet at the seed point that fits what the prober knows.
  if (query.first) {
    const seed = query.first;
    const c = cands.find(
      (x) => !x.l4.quoted && (seedPoint === undefined || x.hop.point === seedPoint) && seedMatches(seed, x),
    );
    if (c) learn(c, 'request', 'seed');
    else seedMissed = true;
  }

  for (let pass = 0; pass < 20; pass++) {
    let changed = false;
    for (const c of cands) {
      if (c.matched) continue;
      const m = tryMatch(c);
      if (m) {
        learn(c, m[0], m[1], m[2]);
        changed = true;
      }
    }
    if (!changed) break;
  }

  const observations = cands.filter((c) => c.matched).map((c) => c.matched!);
  const warnings: string[] = [];
  if (seedMissed)
    warnings.push(
      `no packet at ${seedPoint ?? 'any point'} matches the first packet given (${JSON.stringify(query.first)})`,
    );
  // Packets matched by tuple or seed first still count: the marker only has to be in one of the flow's packets.
  if (marker && !cands.some((c) => c.matched && c.pkt.payload.includes(marker)))
    warnings.push(`marker ${query.marker} is in no captured packet of the flow`);
  const journey = {
    request: pickJourney(observations, 'request', order, warnings),
    reply: pickJourney(observations, 'reply', order, warnings),
  };
  return { observations, journey, tuples: reqTuples, warnings };
}

/**
 * One observation per point: the same packet (fingerprint) as the direction's first
 * observation where it was seen, else the point's first packet of that direction; ordered by
 * the expected point order (reversed for replies), with points outside it placed by time.
 */
function pickJourney(all: Observation[], dir: Direction, order: string[], warnings: string[]): Observation[] {
  const obs = all.filter((o) => o.direction === dir);
  if (obs.length === 0) return [];
  const rank = (p: string) => {
    const i = order.indexOf(p);
    return i < 0 ? undefined : dir === 'request' ? i : order.length - 1 - i;
  };
  // The probe packet: the earliest one at the earliest point of the path.
  const ranked = obs.filter((o) => rank(o.point) !== undefined);
  const origin = ranked.length ? ranked.reduce((a, b) => (rank(b.point)! < rank(a.point)! ? b : a)) : obs[0];
  const perPoint = new Map<string, Observation>();
  for (const o of obs) {
    const cur = perPoint.get(o.point);
    if (!cur) perPoint.set(o.point, o);
    else if (cur.fingerprint !== origin.fingerprint && o.fingerprint === origin.fingerprint) perPoint.set(o.point, o);
  }
  const picked = [...perPoint.values()];
  // A point the packet crosses twice with different addresses (NodePort: in on eth0, DNATed and
  // SNATed back out of eth0 to the backend's node) is shown twice; then the journey follows the
  // shared kernel clock, the expected order breaking ties.
  const tuple = (o: Observation) => `${endpointString(o.src, o.sport)}>${endpointString(o.dst, o.dport)}`;
  const revisits: Observation[] = [];
  for (const o of obs) {
    const first = perPoint.get(o.point)!;
    if (o === first || o.fingerprint !== first.fingerprint || tuple(o) === tuple(first)) continue;
    if (!revisits.some((r) => r.point === o.point && tuple(r) === tuple(o))) revisits.push(o);
  }
  if (revisits.length) {
    const r = (o: Observation) => rank(o.point) ?? Number.MAX_SAFE_INTEGER;
    return [...picked, ...revisits].sort((a, b) => compareTime(a, b) || r(a) - r(b));
  }
  const inOrder = picked.filter((o) => rank(o.point) !== undefined).sort((a, b) => rank(a.point)! - rank(b.point)!);
  const others = picked.filter((o) => rank(o.point) === undefined).sort(compareTime);
  const out = [...inOrder];
  for (const o of others) {
    const at = out.findIndex((x) => compareTime(x, o) > 0);
    out.splice(at < 0 ? out.length : at, 0, o);
  }
  // Clocks are shared (one kernel), so a later point seen clearly earlier means a wrong order.
  for (let i = 1; i < inOrder.length; i++) {
    const a = inOrder[i - 1];
    const b = inOrder[i];
    if (a.fingerprint === b.fingerprint && b.ts < a.ts - 0.001) {
      warnings.push(
        `${dir}: ${b.point} saw the packet ${((a.ts - b.ts) * 1000).toFixed(1)} ms before ${a.point}; is the point order right?`,
      );
    }
  }
  return out;
}
