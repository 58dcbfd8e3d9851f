/**
 * How trace/flow.ts tells the probe's packets apart: the candidate packets of every hop in time
 * order, their tuples and fingerprints (what NAT and routing leave unchanged), TCP sequence
 * proximity and ICMP error text.
 */
import { createHash } from 'crypto';
import { DecodedPacket, Frame, IpInfo, L4Info, L4Kind } from './pcap-types';
import type { Encap, FlowSeed, HopFrames, Observation } from './flow-types';

export interface Candidate {
  hop: HopFrames;
  hopIndex: number;
  frame: Frame;
  pkt: DecodedPacket;
  ip: IpInfo;
  l4: L4Info;
  encap?: Encap;
  fp: string;
  key?: string;
  matched?: Observation;
}

export const TCP_WINDOW = 1 << 20; // bytes of sequence space a probe can plausibly use

export function endpointString(ip: string, port?: number): string {
  return port === undefined ? ip : `${ip}:${port}`;
}

/** conntrack-style tuple key; ICMP echo uses its id as both "ports", as conntrack does. */
function tupleKey(
  proto: L4Kind,
  src: string,
  sport: number | undefined,
  dst: string,
  dport: number | undefined,
): string {
  return `${proto} ${endpointString(src, sport)} > ${endpointString(dst, dport)}`;
}

export function packetTuple(ip: IpInfo, l4: L4Info, reverse = false): string | undefined {
  let sport = l4.sport;
  let dport = l4.dport;
  if (l4.kind === 'icmp') {
    if (l4.icmpId === undefined) return undefined;
    sport = dport = l4.icmpId;
  }
  return reverse ? tupleKey(l4.kind, ip.dst, dport, ip.src, sport) : tupleKey(l4.kind, ip.src, sport, ip.dst, dport);
}

export function reverseKey(key: string): string {
  const [proto, a, , b] = key.split(' ');
  return `${proto} ${b} > ${a}`;
}

/** Fields no NAT, router or encapsulation changes: the same packet has the same fingerprint at every hop. */
function fingerprint(ip: IpInfo, l4: L4Info, payload: Buffer): string {
  const h = createHash('sha1').update(payload).digest('hex').slice(0, 16);
  switch (l4.kind) {
    case 'tcp':
      return `tcp|${ip.id}|${l4.seq}|${l4.ack}|${l4.flags}|${payload.length}|${h}`;
    case 'udp':
      return `udp|${ip.id}|${payload.length}|${h}`;
    default:
      // The echo id is left out: SNAT may rewrite it like a port.
      return `icmp|${ip.id}|${l4.icmpType}|${l4.icmpCode}|${l4.icmpSeq ?? ''}|${payload.length}|${h}`;
  }
}

export const ICMP_UNREACH: Record<number, string> = {
  0: 'net unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'fragmentation needed',
  9: 'net prohibited',
  10: 'host prohibited',
  13: 'administratively prohibited',
};

export function icmpErrorText(type: number, code: number, mtu?: number): string {
  if (type === 3) {
    const what = ICMP_UNREACH[code] ?? `unreachable code ${code}`;
    return code === 4 && mtu !== undefined ? `ICMP ${what} (mtu ${mtu})` : `ICMP ${what}`;
  }
  if (type === 11) return code === 0 ? 'ICMP time exceeded in transit' : 'ICMP fragment reassembly time exceeded';
  if (type === 5) return 'ICMP redirect';
  if (type === 12) return 'ICMP parameter problem';
  return `ICMP type ${type} code ${code}`;
}

export function isDnsResponse(l4: L4Info, payload: Buffer): boolean {
  return l4.kind === 'udp' && (l4.sport === 53 || l4.dport === 53) && payload.length >= 3 && (payload[2] & 0x80) !== 0;
}

/** Within a probe's reach of a sequence-space reference, either side, modulo 2^32. */
export function near(v: number | undefined, ref: number | undefined): boolean {
  if (v === undefined || ref === undefined) return false;
  return (v - ref + TCP_WINDOW) >>> 0 < 2 * TCP_WINDOW;
}

export const hasAck = (flags?: string) => flags !== undefined && flags.includes('.');

export function seedMatches(seed: FlowSeed, c: Candidate): boolean {
  if (seed.proto && c.l4.kind !== seed.proto) return false;
  if (seed.src && c.ip.src !== seed.src) return false;
  if (seed.dst && c.ip.dst !== seed.dst) return false;
  if (seed.sport !== undefined && c.l4.sport !== seed.sport) return false;
  if (seed.dport !== undefined && c.l4.dport !== seed.dport) return false;
  if (seed.icmpId !== undefined && c.l4.icmpId !== seed.icmpId) return false;
  if (seed.icmpSeq !== undefined && c.l4.icmpSeq !== seed.icmpSeq) return false;
  // The seed describes a request: an echo request, a SYN or data, not an ICMP error.
  if (c.l4.kind === 'icmp' && c.l4.icmpType !== 8) return false;
  return true;
}

export function compareTime(a: { sec: number; nsec: number }, b: { sec: number; nsec: number }): number {
  return a.sec - b.sec || a.nsec - b.nsec;
}

export function toCandidates(hops: HopFrames[]): Candidate[] {
  const out: Candidate[] = [];
  hops.forEach((hop, hopIndex) => {
    for (const frame of hop.frames) {
      let pkt: DecodedPacket = frame;
      let encap: Encap | undefined;
      if (frame.inner?.ip && frame.inner.l4 && frame.ip) {
        encap = {
          kind: 'vxlan',
          vni: frame.inner.vni,
          outerSrc: frame.ip.src,
          outerDst: frame.ip.dst,
          outerSport: frame.l4?.sport,
          outerDport: frame.l4?.dport,
          outerTtl: frame.ip.ttl,
        };
        pkt = frame.inner;
      }
      if (!pkt.ip || !pkt.l4) continue;
      const c: Candidate = { hop, hopIndex, frame, pkt, ip: pkt.ip, l4: pkt.l4, encap, fp: '' };
      c.key = c.l4.quoted ? undefined : packetTuple(c.ip, c.l4);
      c.fp = c.l4.quoted
        ? `icmperr|${c.ip.id}|${c.l4.icmpType}|${c.l4.icmpCode}`
        : fingerprint(c.ip, c.l4, pkt.payload);
      out.push(c);
    }
  });
  return out.sort((a, b) => compareTime(a.frame, b.frame) || a.hopIndex - b.hopIndex || a.frame.frame - b.frame.frame);
}
