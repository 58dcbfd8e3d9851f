/**
 * Classic libpcap reader and packet decoder (Ethernet/802.1Q, Linux cooked v1/v2, raw IP;
 * IPv4, TCP, UDP, ICMP incl. quoted headers of ICMP errors, ARP, VXLAN). Never throws on a
 * short frame: snaplen-truncated packets decode as far as their bytes go and say so.
 */

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_LINUX_SLL2 = 276;

/** UDP ports that carry VXLAN: flannel's Linux default and the IANA port. */
export const VXLAN_PORTS = [8472, 4789];

export interface L2Info {
  srcMac?: string;
  dstMac?: string;
  vlan?: number;
  etherType?: number;
  /** Linux cooked captures: packet type (0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing). */
  pktType?: number;
  /** Linux cooked v2 only. */
  ifindex?: number;
}

export interface IpInfo {
  version: 4;
  src: string;
  dst: string;
  ttl: number;
  id: number;
  proto: number;
  /** Total length field. */
  len: number;
  headerLen: number;
  df: boolean;
  mf: boolean;
  /** In bytes (the wire field times 8). */
  fragOffset: number;
}

export type L4Kind = 'tcp' | 'udp' | 'icmp';

export interface L4Info {
  kind: L4Kind;
  sport?: number;
  dport?: number;
  /** TCP flags as tcpdump prints them: "S", "S.", "P.", "F.", "R", "R.", "none". */
  flags?: string;
  seq?: number;
  ack?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  icmpSeq?: number;
  /** ICMP frag-needed: next-hop MTU. */
  mtu?: number;
  /** ICMP errors: the offending packet's IP header and ports as quoted in the error. */
  quoted?: { ip: IpInfo; l4?: L4Info };
}

export interface ArpInfo {
  /** 1 request, 2 reply. */
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface DecodedPacket {
  linkType: number;
  l2: L2Info;
  ip?: IpInfo;
  l4?: L4Info;
  arp?: ArpInfo;
  /** L4 payload (or what of it was captured); empty when none. */
  payload: Buffer;
  /** VXLAN-encapsulated inner frame, decoded the same way. */
  inner?: DecodedPacket & { vni: number };
  /** True when the capture cut the packet short (snaplen or a short frame). */
  truncated: boolean;
}

export interface Frame extends DecodedPacket {
  /** 1-based, as Wireshark/tshark number frames. */
  frame: number;
  /** Seconds since the epoch (float; use sec/nsec for exact ordering). */
  ts: number;
  sec: number;
  nsec: number;
  caplen: number;
  origLen: number;
}

export interface PcapCapture {
  linkType: number;
  nanos: boolean;
  bigEndian: boolean;
  snaplen: number;
  frames: Frame[];
  /** Set when the file ends inside a record (tcpdump killed mid-write). */
  truncatedFile: boolean;
}

/** Why a Buffer is not a classic pcap file. */
export class PcapFormatError extends Error {}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

/** Parse a whole classic pcap file. */
export function readPcap(buf: Buffer): PcapCapture {
  if (buf.length < 24) throw new PcapFormatError(`not a pcap file: ${buf.length} bytes, a pcap header needs 24`);
  const le = buf.readUInt32LE(0);
  const bem = buf.readUInt32BE(0);
  let bigEndian: boolean;
  let nanos: boolean;
  if (le === MAGIC_US || le === MAGIC_NS) {
    bigEndian = false;
    nanos = le === MAGIC_NS;
  } else if (bem === MAGIC_US || bem === MAGIC_NS) {
    bigEndian = true;
    nanos = bem === MAGIC_NS;
  } else if (bem === 0x0a0d0d0a) {
    throw new PcapFormatError(
      'pcapng files are not supported: capture with tcpdump -w (classic pcap) or convert with editcap -F pcap',
    );
  } else {
    throw new PcapFormatError(`not a pcap file: magic 0x${bem.toString(16).padStart(8, '0')}`);
  }
  const u32 = (o: number) => (bigEndian ? buf.readUInt32BE(o) : buf.readUInt32LE(o));
  const snaplen = u32(16);
  // The upper bits of the link-type field may carry FCS information; the type is the low 16.
  const linkType = u32(20) & 0xffff;
  const frames: Frame[] = [];
  let off = 24;
  let truncatedFile = false;
  while (off < buf.length) {
    if (off + 16 > buf.length) {
      truncatedFile = true;
      break;
    }
    const sec = u32(off);
    const frac = u32(off + 4);
    const caplen = u32(off + 8);
    const origLen = u32(off + 12);
    const start = off + 16;
    if (start + caplen > buf.length) {
      truncatedFile = true;
      break;
    }
    const data = buf.subarray(start, start + caplen);
    const nsec = nanos ? frac : frac * 1000;
    const pkt = decodeFrame(linkType, data);
    frames.push({
      frame: frames.length + 1,
      ts: sec + nsec / 1e9,
      sec,
      nsec,
      caplen,
      origLen,
      ...pkt,
      truncated: pkt.truncated || caplen < origLen,
    });
    off = start + caplen;
  }
  return { linkType, nanos, bigEndian, snaplen, frames, truncatedFile };
}

/** Parse a pcap Buffer into its frames. */
export function parsePcap(buf: Buffer): Frame[] {
  return readPcap(buf).frames;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
export function formatMac(b: Buffer, off: number): string {
  return Array.from(b.subarray(off, off + 6), hex2).join(':');
}
export function formatIpv4(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Decode one captured frame of the given link type. */
export function decodeFrame(linkType: number, data: Buffer): DecodedPacket {
  const pkt: DecodedPacket = { linkType, l2: {}, payload: Buffer.alloc(0), truncated: false };
  let etherType: number | undefined;
  let off = 0;
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (data.length < 14) return { ...pkt, truncated: true };
      pkt.l2.dstMac = formatMac(data, 0);
      pkt.l2.srcMac = formatMac(data, 6);
      etherType = data.readUInt16BE(12);
      off = 14;
      // 802.1Q / 802.1ad tags: keep the outermost VLAN id.
      while ((etherType === 0x8100 || etherType === 0x88a8) && data.length >= off + 4) {
        if (pkt.l2.vlan === undefined) pkt.l2.vlan = data.readUInt16BE(off) & 0x0fff;
        etherType = data.readUInt16BE(off + 2);
        off += 4;
      }
      if (etherType === 0x8100 || etherType === 0x88a8) return { ...pkt, truncated: true };
      break;
    }
    case LINKTYPE_LINUX_SLL: {
      if (data.length < 16) return { ...pkt, truncated: true };
      pkt.l2.pktType = data.readUInt16BE(0);
      if (data.readUInt16BE(4) === 6) pkt.l2.srcMac = formatMac(data, 6);
      etherType = data.readUInt16BE(14);
      off = 16;
      break;
    }
    case LINKTYPE_LINUX_SLL2: {
      if (data.length < 20) return { ...pkt, truncated: true };
      etherType = data.readUInt16BE(0);
      pkt.l2.ifindex = data.readUInt32BE(4);
      pkt.l2.pktType = data[10];
      if (data[11] === 6) pkt.l2.srcMac = formatMac(data, 12);
      off = 20;
      break;
    }
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
      if (data.length < 1) return { ...pkt, truncated: true };
      etherType = data[0] >> 4 === 4 ? 0x0800 : data[0] >> 4 === 6 ? 0x86dd : undefined;
      break;
    default:
      return pkt;
  }
  pkt.l2.etherType = etherType;
  if (etherType === 0x0800) decodeIpv4(data.subarray(off), pkt);
  else if (etherType === 0x0806) {
    const a = data.subarray(off);
    if (a.length >= 28 && a.readUInt16BE(2) === 0x0800 && a[4] === 6 && a[5] === 4) {
      pkt.arp = {
        op: a.readUInt16BE(6),
        senderMac: formatMac(a, 8),
        senderIp: formatIpv4(a, 14),
        targetMac: formatMac(a, 18),
        targetIp: formatIpv4(a, 24),
      };
    } else pkt.truncated = a.length < 28;
  }
  return pkt;
}

/** Parse an IPv4 header; undefined when fewer than 20 bytes or not version 4. */
function parseIpv4Header(b: Buffer): IpInfo | undefined {
  if (b.length < 20 || b[0] >> 4 !== 4) return undefined;
  const frag = b.readUInt16BE(6);
  return {
    version: 4,
    headerLen: (b[0] & 0x0f) * 4,
    len: b.readUInt16BE(2),
    id: b.readUInt16BE(4),
    df: (frag & 0x4000) !== 0,
    mf: (frag & 0x2000) !== 0,
    fragOffset: (frag & 0x1fff) * 8,
    ttl: b[8],
    proto: b[9],
    src: formatIpv4(b, 12),
    dst: formatIpv4(b, 16),
  };
}

/** tcpdump's flag order (print-tcp.c): F S R P . U E W. */
const TCP_FLAGS: Array<[number, string]> = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
];
export function tcpFlagString(bits: number): string {
  const s = TCP_FLAGS.filter(([b]) => bits & b)
    .map(([, c]) => c)
    .join('');
  return s || 'none';
}

/** ICMP types whose body quotes the offending datagram. */
const ICMP_ERROR_TYPES = new Set([3, 4, 5, 11, 12]);

/**
 * Parse the L4 header at `b`. Returns the header info and its length, or undefined if too
 * short. `partial` allows quoted headers (only 8 bytes guaranteed): ports and seq survive.
 */
function parseL4(proto: number, b: Buffer, partial: boolean): { l4: L4Info; hlen: number } | undefined {
  if (proto === 6) {
    if (b.length < (partial ? 8 : 20)) return undefined;
    const l4: L4Info = { kind: 'tcp', sport: b.readUInt16BE(0), dport: b.readUInt16BE(2), seq: b.readUInt32BE(4) };
    if (b.length >= 14) {
      l4.ack = b.readUInt32BE(8);
      l4.flags = tcpFlagString(b[13]);
    }
    const hlen = b.length >= 13 ? (b[12] >> 4) * 4 : 20;
    return { l4, hlen: Math.max(20, hlen) };
  }
  if (proto === 17) {
    if (b.length < 8) return undefined;
    return { l4: { kind: 'udp', sport: b.readUInt16BE(0), dport: b.readUInt16BE(2) }, hlen: 8 };
  }
  if (proto === 1) {
    if (b.length < (partial ? 4 : 8)) return undefined;
    const l4: L4Info = { kind: 'icmp', icmpType: b[0], icmpCode: b[1] };
    if (b.length >= 8) {
      if (l4.icmpType === 0 || l4.icmpType === 8 || l4.icmpType === 13 || l4.icmpType === 14) {
        l4.icmpId = b.readUInt16BE(4);
        l4.icmpSeq = b.readUInt16BE(6);
      }
      if (l4.icmpType === 3 && l4.icmpCode === 4) l4.mtu = b.readUInt16BE(6);
    }
    return { l4, hlen: 8 };
  }
  return undefined;
}

function decodeIpv4(b: Buffer, pkt: DecodedPacket): void {
  const ip = parseIpv4Header(b);
  if (!ip) {
    pkt.truncated = b.length < 20;
    return;
  }
  pkt.ip = ip;
  // The total length bounds the packet (Ethernet pads short frames); the capture may cut it.
  const end = Math.min(b.length, Math.max(ip.len, ip.headerLen));
  if (b.length < ip.len) pkt.truncated = true;
  if (ip.fragOffset > 0 || b.length < ip.headerLen) return; // non-first fragments have no L4 header
  const body = b.subarray(ip.headerLen, end);
  const parsed = parseL4(ip.proto, body, false);
  if (!parsed) {
    if (ip.proto === 6 || ip.proto === 17 || ip.proto === 1) pkt.truncated = true;
    return;
  }
  pkt.l4 = parsed.l4;
  pkt.payload = body.subarray(Math.min(parsed.hlen, body.length));
  const l4 = parsed.l4;
  if (l4.kind === 'icmp' && ICMP_ERROR_TYPES.has(l4.icmpType ?? -1)) {
    const q = body.subarray(8);
    const qip = parseIpv4Header(q);
    if (qip) {
      const ql4 = qip.fragOffset === 0 ? parseL4(qip.proto, q.subarray(qip.headerLen), true) : undefined;
      l4.quoted = { ip: qip, l4: ql4?.l4 };
    }
  }
  if (l4.kind === 'udp' && (VXLAN_PORTS.includes(l4.dport!) || VXLAN_PORTS.includes(l4.sport!))) {
    const v = pkt.payload;
    // I flag set = VNI valid; anything else on that port is not VXLAN as Linux sends it.
    if (v.length >= 8 + 14 && (v[0] & 0x08) !== 0) {
      const vni = v.readUInt32BE(4) >>> 8;
      const inner = decodeFrame(LINKTYPE_ETHERNET, v.subarray(8));
      pkt.inner = { ...inner, vni };
    }
  }
}
