/** What the pcap reader (trace/pcap.ts) and decoder (trace/pcap-decode.ts) return: frames and their layers. */

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
