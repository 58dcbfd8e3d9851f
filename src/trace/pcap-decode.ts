/**
 * The packet decoder behind trace/pcap.ts: link layers (Ethernet/802.1Q, Linux cooked v1/v2, raw
 * IP), IPv4, TCP, UDP, ICMP with the quoted headers of ICMP errors, ARP and VXLAN. Never throws on
 * a short frame: snaplen-truncated packets decode as far as their bytes go and say so.
 */
import type { DecodedPacket, IpInfo, L4Info } from './pcap-types';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_RAW,
  VXLAN_PORTS,
} from './pcap-types';

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
export function parseIpv4Header(b: Buffer): IpInfo | undefined {
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
