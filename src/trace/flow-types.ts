/** The shapes of a flow search (src/trace/flow.ts): what is asked, what each hop saw, what was found. */
import { Frame, L4Kind } from './pcap-types';

export type Direction = 'request' | 'reply';

export interface HopFrames {
  point: string;
  pcapFile: string;
  frames: Frame[];
}

/** What is known about the probe's first packet, e.g. from the prober (all fields optional). */
export interface FlowSeed {
  proto?: L4Kind;
  src?: string;
  sport?: number;
  dst?: string;
  dport?: number;
  icmpId?: number;
  icmpSeq?: number;
  /** Capture point where the seed is looked for; default: the first point of `order`. */
  point?: string;
}

export interface FlowQuery {
  /** Unique bytes in the probe's payload (HTTP path, UDP payload, ICMP echo data, DNS label). */
  marker?: string;
  first?: FlowSeed;
  /** Expected point order on the request path. */
  order?: string[];
}

export interface Encap {
  kind: 'vxlan';
  vni: number;
  outerSrc: string;
  outerDst: string;
  outerSport?: number;
  outerDport?: number;
  outerTtl: number;
}

export interface IcmpErrorInfo {
  type: number;
  code: number;
  /** Next-hop MTU of a frag-needed error. */
  mtu?: number;
  /** The router or host that sent the error. */
  from: string;
  text: string;
}

export type MatchReason = 'marker' | 'seed' | 'tuple' | 'same-packet' | 'tcp-seq' | 'icmp-quote';

export interface Observation {
  point: string;
  pcapFile: string;
  frame: number;
  ts: number;
  sec: number;
  nsec: number;
  direction: Direction;
  proto: L4Kind;
  src: string;
  sport?: number;
  dst: string;
  dport?: number;
  ttl: number;
  ipId: number;
  len: number;
  flags?: string;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  icmpSeq?: number;
  encap?: Encap;
  icmpError?: IcmpErrorInfo;
  matchedBy: MatchReason;
  /** Identity of the packet across hops (see fingerprint()). */
  fingerprint: string;
}

export interface FlowResult {
  /** Every packet of the flow at every point, in time order. */
  observations: Observation[];
  /** One observation per point and direction: the probe packet, then its reply. */
  journey: { request: Observation[]; reply: Observation[] };
  /** Request-direction tuples learned (one per NAT segment). */
  tuples: string[];
  warnings: string[];
}
