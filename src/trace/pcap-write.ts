/**
 * Byte-exact packet and classic-pcap writers. The product reads pcaps written by tcpdump; these
 * builders exist so tests (ours and other engineers') can make fixture captures without Docker,
 * with valid checksums so `tcpdump -r -vv` accepts them too.
 */

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** Timestamp of a record: seconds as a float, or exact seconds + nanoseconds. */
export type PcapTime = number | { sec: number; nsec: number };

export interface PcapRecord {
  ts: PcapTime;
  /** Captured bytes (already cut to the snaplen if you want a truncated record). */
  data: Buffer;
  /** Length on the wire; defaults to data.length. Larger than data.length = truncated by snaplen. */
  origLen?: number;
}

export interface PcapWriteOptions {
  linkType?: number;
  /** Nanosecond-resolution magic (0xa1b23c4d) instead of microseconds. */
  nanos?: boolean;
  bigEndian?: boolean;
  snaplen?: number;
}

function splitTime(ts: PcapTime): { sec: number; nsec: number } {
  if (typeof ts === 'number') {
    const sec = Math.floor(ts);
    return { sec, nsec: Math.round((ts - sec) * 1e9) };
  }
  return ts;
}

/** A classic libpcap file (global header + records), as `tcpdump -w` writes it. */
export function writePcap(records: PcapRecord[], opts: PcapWriteOptions = {}): Buffer {
  const be = opts.bigEndian ?? false;
  const nanos = opts.nanos ?? false;
  const snaplen = opts.snaplen ?? 262144;
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  const u32 = (b: Buffer, v: number, o: number) => (be ? b.writeUInt32BE(v >>> 0, o) : b.writeUInt32LE(v >>> 0, o));
  const u16 = (b: Buffer, v: number, o: number) => (be ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o));
  u32(gh, nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(gh, 2, 4);
  u16(gh, 4, 6);
  u32(gh, 0, 8);
  u32(gh, 0, 12);
  u32(gh, snaplen, 16);
  u32(gh, opts.linkType ?? LINKTYPE_ETHERNET, 20);
  parts.push(gh);
  for (const r of records) {
    const { sec, nsec } = splitTime(r.ts);
    const rh = Buffer.alloc(16);
    u32(rh, sec, 0);
    u32(rh, nanos ? nsec : Math.floor(nsec / 1000), 4);
    u32(rh, r.data.length, 8);
    u32(rh, r.origLen ?? r.data.length, 12);
    parts.push(rh, r.data);
  }
  return Buffer.concat(parts);
}

// ---- addresses -----------------------------------------------------------------------------

export function macBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6) throw new Error(`bad MAC address ${mac}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function ipv4Bytes(ip: string): Buffer {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`bad IPv4 address ${ip}`);
  return Buffer.from(parts);
}

/** RFC 1071 one's-complement sum, folded and inverted. */
export function inetChecksum(...bufs: Buffer[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const b of bufs) {
    for (let i = 0; i < b.length; i++) {
      if (odd === undefined) odd = b[i];
      else {
        sum += (odd << 8) | b[i];
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---- layer 2 -------------------------------------------------------------------------------

export interface EthernetSpec {
  src?: string;
  dst?: string;
  etherType?: number;
  /** 802.1Q VLAN id; adds one tag. */
  vlan?: number;
}

export function ethernet(spec: EthernetSpec, payload: Buffer): Buffer {
  const hdr = [macBytes(spec.dst ?? '02:00:00:00:00:02'), macBytes(spec.src ?? '02:00:00:00:00:01')];
  if (spec.vlan !== undefined) {
    const tag = Buffer.alloc(4);
    tag.writeUInt16BE(ETH_P_8021Q, 0);
    tag.writeUInt16BE(spec.vlan & 0x0fff, 2);
    hdr.push(tag);
  }
  const et = Buffer.alloc(2);
  et.writeUInt16BE(spec.etherType ?? ETH_P_IP, 0);
  return Buffer.concat([...hdr, et, payload]);
}

/** Linux cooked header v1 (tcpdump -i any on older libpcap). pktType 0 = to us, 4 = outgoing. */
export function sll(spec: { pktType?: number; addr?: string; protocol?: number }, payload: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(spec.pktType ?? 0, 0);
  h.writeUInt16BE(1, 2); // ARPHRD_ETHER
  h.writeUInt16BE(6, 4);
  macBytes(spec.addr ?? '02:00:00:00:00:01').copy(h, 6);
  h.writeUInt16BE(spec.protocol ?? ETH_P_IP, 14);
  return Buffer.concat([h, payload]);
}

/** Linux cooked header v2 (tcpdump -i any on libpcap >= 1.10). */
export function sll2(
  spec: { pktType?: number; addr?: string; protocol?: number; ifindex?: number },
  payload: Buffer,
): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(spec.protocol ?? ETH_P_IP, 0);
  h.writeUInt32BE(spec.ifindex ?? 1, 4);
  h.writeUInt16BE(1, 8);
  h.writeUInt8(spec.pktType ?? 0, 10);
  h.writeUInt8(6, 11);
  macBytes(spec.addr ?? '02:00:00:00:00:01').copy(h, 12);
  return Buffer.concat([h, payload]);
}

export function arp(spec: {
  op: 1 | 2;
  senderMac: string;
  senderIp: string;
  targetMac?: string;
  targetIp: string;
}): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0);
  b.writeUInt16BE(ETH_P_IP, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(spec.op, 6);
  macBytes(spec.senderMac).copy(b, 8);
  ipv4Bytes(spec.senderIp).copy(b, 14);
  macBytes(spec.targetMac ?? '00:00:00:00:00:00').copy(b, 18);
  ipv4Bytes(spec.targetIp).copy(b, 24);
  return b;
}

// ---- layer 3 / 4 ---------------------------------------------------------------------------

export interface Ipv4Spec {
  src: string;
  dst: string;
  proto: number;
  ttl?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** In 8-byte units, as on the wire. */
  fragOffset?: number;
  tos?: number;
  /** Override the total-length field (e.g. to model a quoted header of a longer packet). */
  totalLength?: number;
}

/** An IPv4 packet; fills the IP checksum and, for TCP/UDP, the L4 checksum over the pseudo-header. */
export function ipv4(spec: Ipv4Spec, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h[1] = spec.tos ?? 0;
  h.writeUInt16BE(spec.totalLength ?? 20 + payload.length, 2);
  h.writeUInt16BE(spec.id ?? 0, 4);
  h.writeUInt16BE(((spec.df ?? true) ? 0x4000 : 0) | (spec.mf ? 0x2000 : 0) | ((spec.fragOffset ?? 0) & 0x1fff), 6);
  h[8] = spec.ttl ?? 64;
  h[9] = spec.proto;
  ipv4Bytes(spec.src).copy(h, 12);
  ipv4Bytes(spec.dst).copy(h, 16);
  h.writeUInt16BE(inetChecksum(h), 10);
  const body = Buffer.from(payload);
  const l4ck = spec.proto === IPPROTO_TCP ? 16 : spec.proto === IPPROTO_UDP ? 6 : -1;
  if (l4ck >= 0 && !spec.fragOffset && body.length >= l4ck + 2) {
    const pseudo = Buffer.alloc(12);
    ipv4Bytes(spec.src).copy(pseudo, 0);
    ipv4Bytes(spec.dst).copy(pseudo, 4);
    pseudo[9] = spec.proto;
    pseudo.writeUInt16BE(body.length, 10);
    body.writeUInt16BE(0, l4ck);
    let ck = inetChecksum(pseudo, body);
    if (spec.proto === IPPROTO_UDP && ck === 0) ck = 0xffff;
    body.writeUInt16BE(ck, l4ck);
  }
  return Buffer.concat([h, body]);
}

const TCP_FLAG_BITS: Record<string, number> = {
  F: 0x01,
  S: 0x02,
  R: 0x04,
  P: 0x08,
  '.': 0x10,
  U: 0x20,
  E: 0x40,
  W: 0x80,
};

/** tcpdump-style flag string ("S", "S.", "P.", "F.", "R") to the flag byte. */
export function tcpFlagBits(flags: string): number {
  let v = 0;
  for (const c of flags) {
    const bit = TCP_FLAG_BITS[c];
    if (bit === undefined) throw new Error(`unknown TCP flag ${c} in ${flags}`);
    v |= bit;
  }
  return v;
}

export interface TcpSpec {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags?: string;
  window?: number;
}

/** TCP header (20 bytes, no options) + payload; checksum is filled by ipv4(). */
export function tcp(spec: TcpSpec, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(spec.sport, 0);
  h.writeUInt16BE(spec.dport, 2);
  h.writeUInt32BE((spec.seq ?? 0) >>> 0, 4);
  h.writeUInt32BE((spec.ack ?? 0) >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = tcpFlagBits(spec.flags ?? '.');
  h.writeUInt16BE(spec.window ?? 64240, 14);
  return Buffer.concat([h, payload]);
}

export function udp(spec: { sport: number; dport: number }, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(spec.sport, 0);
  h.writeUInt16BE(spec.dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** ICMP echo request (type 8) or reply (type 0). */
export function icmpEcho(spec: { type?: 0 | 8; id: number; seq: number }, data: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(8);
  h[0] = spec.type ?? 8;
  h.writeUInt16BE(spec.id, 4);
  h.writeUInt16BE(spec.seq, 6);
  const b = Buffer.concat([h, data]);
  b.writeUInt16BE(inetChecksum(b), 2);
  return b;
}

/**
 * ICMP error (3 dest unreachable, 11 time exceeded) quoting the offending IP packet: its
 * header + first 8 bytes, as RFC 792 requires (Linux quotes more; pass `quoteBytes`).
 */
export function icmpError(
  spec: { type: number; code: number; mtu?: number; quoteBytes?: number },
  offending: Buffer,
): Buffer {
  const h = Buffer.alloc(8);
  h[0] = spec.type;
  h[1] = spec.code;
  if (spec.mtu !== undefined) h.writeUInt16BE(spec.mtu, 6);
  const ihl = (offending[0] & 0x0f) * 4;
  const b = Buffer.concat([h, offending.subarray(0, Math.min(offending.length, spec.quoteBytes ?? ihl + 8))]);
  b.writeUInt16BE(inetChecksum(b), 2);
  return b;
}

/** VXLAN header (flags I, 24-bit VNI) + inner Ethernet frame: the UDP payload on port 8472/4789. */
export function vxlan(vni: number, innerFrame: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 0x08;
  h.writeUInt32BE((vni & 0xffffff) << 8, 4);
  return Buffer.concat([h, innerFrame]);
}

// ---- convenience ---------------------------------------------------------------------------

export interface PacketSpec {
  src: string;
  dst: string;
  ttl?: number;
  id?: number;
  df?: boolean;
  tcp?: TcpSpec;
  udp?: { sport: number; dport: number };
  icmp?: { type?: 0 | 8; id: number; seq: number };
  payload?: Buffer | string;
}

/** A whole IPv4 packet (no L2) from one flat description. */
export function ipPacket(spec: PacketSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const ip = { src: spec.src, dst: spec.dst, ttl: spec.ttl, id: spec.id, df: spec.df };
  if (spec.tcp) return ipv4({ ...ip, proto: IPPROTO_TCP }, tcp(spec.tcp, payload));
  if (spec.udp) return ipv4({ ...ip, proto: IPPROTO_UDP }, udp(spec.udp, payload));
  if (spec.icmp) return ipv4({ ...ip, proto: IPPROTO_ICMP }, icmpEcho(spec.icmp, payload));
  throw new Error('ipPacket needs tcp, udp or icmp');
}

/** An Ethernet frame carrying ipPacket(spec). */
export function ethPacket(spec: PacketSpec & { srcMac?: string; dstMac?: string; vlan?: number }): Buffer {
  return ethernet({ src: spec.srcMac, dst: spec.dstMac, vlan: spec.vlan, etherType: ETH_P_IP }, ipPacket(spec));
}

/** A flannel-style VXLAN frame: outer Ethernet/IPv4/UDP 8472 around an inner Ethernet frame. */
export function vxlanPacket(
  outer: {
    src: string;
    dst: string;
    sport?: number;
    dport?: number;
    ttl?: number;
    id?: number;
    srcMac?: string;
    dstMac?: string;
    vni: number;
  },
  innerFrame: Buffer,
): Buffer {
  const inner = vxlan(outer.vni, innerFrame);
  const ip = ipv4(
    { src: outer.src, dst: outer.dst, proto: IPPROTO_UDP, ttl: outer.ttl, id: outer.id, df: false },
    udp({ sport: outer.sport ?? 54321, dport: outer.dport ?? 8472 }, inner),
  );
  return ethernet({ src: outer.srcMac, dst: outer.dstMac, etherType: ETH_P_IP }, ip);
}
