/**
 * `lab trace` core: turns the pcaps captured along a path into the probe's hop list, naming the
 * rewrite each hop shows against the previous hop of the same direction. Everything reported
 * cites a pcap file and frame number; nothing comes from the plan.
 */
import { InputError, LabError } from '../errors';
import { Direction, Encap, FlowSeed, HopFrames, IcmpErrorInfo, MatchReason, Observation } from './flow-types';
import { endpointString } from './flow-match';
import { findFlow } from './flow';
import { L4Kind } from './pcap-types';
import { PcapFormatError, readPcap } from './pcap';

export interface TraceInput {
  /** Path id (e.g. `pod-to-service`), echoed in the result. */
  path: string;
  hops: Array<{ point: string; pcapFile: string; pcap: Buffer }>;
  /** Expected point order on the path, request direction. */
  order: string[];
  marker?: string;
  first?: FlowSeed;
}

export type ChangeKind =
  | 'DNAT'
  | 'SNAT'
  | 'un-DNAT'
  | 'un-SNAT'
  | 'encap'
  | 'decap'
  | 're-encap'
  | 'TTL'
  | 'icmp-id'
  | 'icmp-error';

export interface Change {
  kind: ChangeKind;
  from?: string;
  to?: string;
  text: string;
}

export interface TraceHop {
  /** 1-based over the whole journey (request hops, then reply hops). */
  n: number;
  point: string;
  direction: Direction;
  proto: L4Kind;
  /** ip:port (ip alone for ICMP). */
  src: string;
  dst: string;
  /** Rewrites since the previous hop of the same direction, joined; `-` on a direction's first hop, `none` if nothing changed. */
  change: string;
  changes: Change[];
  pcap: string;
  frame: number;
  ts: number;
  ttl: number;
  ipId: number;
  flags?: string;
  icmpId?: number;
  icmpSeq?: number;
  encap?: Encap;
  icmpError?: IcmpErrorInfo;
  matchedBy: MatchReason;
}

export interface TraceResult {
  path: string;
  marker?: string;
  /** Expected point order on the request path (as given). */
  order: string[];
  hops: TraceHop[];
  /** Captured points of `order` where the request was not seen (dropped before, or routed elsewhere). */
  missing: string[];
  /** Captured points of `order` where no reply was seen. */
  missingReply: string[];
  /** Points of `order` with no capture given. */
  notCaptured: string[];
  /** Last point of `order` where the request was seen. */
  lastSeen?: string;
  replied: boolean;
  /** Packets of the flow per point (all of them, not just the journey's one). */
  packets: Record<string, { request: number; reply: number }>;
  /** Request-direction tuples, one per NAT segment. */
  tuples: string[];
  warnings: string[];
}

function endpoint(o: Observation, which: 'src' | 'dst'): string {
  return which === 'src' ? endpointString(o.src, o.sport) : endpointString(o.dst, o.dport);
}

/** What changed between two sightings of the probe in the same direction. */
export function describeChanges(prev: Observation | undefined, cur: Observation): Change[] {
  if (cur.icmpError && !prev?.icmpError) {
    return [{ kind: 'icmp-error', text: `${cur.icmpError.text} from ${cur.icmpError.from}` }];
  }
  if (!prev) return [];
  const out: Change[] = [];
  const dir = cur.direction;
  if (cur.encap && !prev.encap) {
    out.push({
      kind: 'encap',
      from: cur.encap.outerSrc,
      to: cur.encap.outerDst,
      text: `encap VXLAN vni ${cur.encap.vni} ${cur.encap.outerSrc} -> ${cur.encap.outerDst}`,
    });
  } else if (!cur.encap && prev.encap) {
    out.push({ kind: 'decap', text: 'decap' });
  } else if (
    cur.encap &&
    prev.encap &&
    (cur.encap.outerSrc !== prev.encap.outerSrc ||
      cur.encap.outerDst !== prev.encap.outerDst ||
      cur.encap.vni !== prev.encap.vni)
  ) {
    out.push({
      kind: 're-encap',
      from: prev.encap.outerDst,
      to: cur.encap.outerDst,
      text: `re-encap VXLAN vni ${cur.encap.vni} ${cur.encap.outerSrc} -> ${cur.encap.outerDst}`,
    });
  }
  // On the request, a new destination is DNAT and a new source SNAT; on the reply the same
  // conntrack entry undoes them: a new source is un-DNAT, a new destination un-SNAT.
  const pSrc = endpoint(prev, 'src');
  const cSrc = endpoint(cur, 'src');
  const pDst = endpoint(prev, 'dst');
  const cDst = endpoint(cur, 'dst');
  if (pDst !== cDst) {
    const kind: ChangeKind = dir === 'request' ? 'DNAT' : 'un-SNAT';
    out.push({ kind, from: pDst, to: cDst, text: `${kind} ${pDst} -> ${cDst}` });
  }
  if (pSrc !== cSrc) {
    const kind: ChangeKind = dir === 'request' ? 'SNAT' : 'un-DNAT';
    out.push({ kind, from: pSrc, to: cSrc, text: `${kind} ${pSrc} -> ${cSrc}` });
  }
  if (
    cur.proto === 'icmp' &&
    prev.proto === 'icmp' &&
    prev.icmpId !== undefined &&
    cur.icmpId !== undefined &&
    prev.icmpId !== cur.icmpId
  ) {
    out.push({
      kind: 'icmp-id',
      from: String(prev.icmpId),
      to: String(cur.icmpId),
      text: `ICMP id ${prev.icmpId} -> ${cur.icmpId}`,
    });
  }
  if (prev.ttl !== cur.ttl) {
    const routed = prev.ttl - cur.ttl;
    const why = routed === 1 ? ' (routed)' : routed > 1 ? ` (routed ${routed}x)` : '';
    out.push({ kind: 'TTL', from: String(prev.ttl), to: String(cur.ttl), text: `TTL ${prev.ttl} -> ${cur.ttl}${why}` });
  }
  return out;
}

function loadHops(input: TraceInput): HopFrames[] {
  return input.hops.map((h, i) => {
    try {
      return { point: h.point, pcapFile: h.pcapFile, frames: readPcap(h.pcap).frames };
    } catch (e) {
      if (e instanceof PcapFormatError) {
        throw new LabError(`${h.pcapFile} (capture point ${h.point}, hops[${i}]): ${e.message}`, {
          hint: 'capture with `tcpdump -w FILE` (classic pcap), or re-run the capture',
          cause: e,
        });
      }
      throw e;
    }
  });
}

/** Reconstruct the probe's life from the pcaps of every capture point. */
export function analyzeTrace(input: TraceInput): TraceResult {
  if (!input.marker && !input.first) {
    throw new InputError('no way to recognise the probe', {
      field: 'marker',
      hint: "give the probe marker (payload string) or the first packet's addresses (first)",
    });
  }
  if (input.marker !== undefined && input.marker.length < 4) {
    throw new InputError(`marker "${input.marker}" is too short to be unique`, {
      field: 'marker',
      hint: 'use a marker like k8s-netlab-trace-<id>',
    });
  }
  const dup = input.hops.map((h) => h.point).find((p, i, all) => all.indexOf(p) !== i);
  if (dup)
    throw new InputError(`capture point ${dup} given twice`, { field: 'hops', hint: 'give each capture point once' });

  const hops = loadHops(input);
  const flow = findFlow(hops, { marker: input.marker, first: input.first, order: input.order });
  const out: TraceHop[] = [];
  for (const dir of ['request', 'reply'] as Direction[]) {
    let prev: Observation | undefined;
    for (const o of flow.journey[dir]) {
      const changes = describeChanges(prev, o);
      out.push({
        n: out.length + 1,
        point: o.point,
        direction: dir,
        proto: o.proto,
        src: endpoint(o, 'src'),
        dst: endpoint(o, 'dst'),
        change: changes.length ? changes.map((c) => c.text).join(', ') : prev ? 'none' : '-',
        changes,
        pcap: o.pcapFile,
        frame: o.frame,
        ts: o.ts,
        ttl: o.ttl,
        ipId: o.ipId,
        flags: o.flags,
        icmpId: o.icmpId,
        icmpSeq: o.icmpSeq,
        encap: o.encap,
        icmpError: o.icmpError,
        matchedBy: o.matchedBy,
      });
      prev = o;
    }
  }
  const captured = new Set(input.hops.map((h) => h.point));
  const seen = (dir: Direction) => new Set(flow.journey[dir].map((o) => o.point));
  const seenReq = seen('request');
  const seenRep = seen('reply');
  const packets: TraceResult['packets'] = {};
  for (const h of input.hops) packets[h.point] = { request: 0, reply: 0 };
  for (const o of flow.observations) packets[o.point][o.direction]++;
  const lastSeen = [...input.order].reverse().find((p) => seenReq.has(p));
  return {
    path: input.path,
    marker: input.marker,
    order: [...input.order],
    hops: out,
    missing: input.order.filter((p) => captured.has(p) && !seenReq.has(p)),
    missingReply: input.order.filter((p) => captured.has(p) && !seenRep.has(p)),
    notCaptured: input.order.filter((p) => !captured.has(p)),
    lastSeen,
    replied: seenRep.size > 0,
    packets,
    tuples: flow.tuples,
    warnings: flow.warnings,
  };
}

/** The `lab trace --json` document: the fields first, then what helps a reader. */
export function traceJson(r: TraceResult): {
  path: string;
  hops: Array<{
    n: number;
    point: string;
    src: string;
    dst: string;
    change: string;
    pcap: string;
    frame: number;
    direction: Direction;
    proto: L4Kind;
    ttl: number;
  }>;
  missing: string[];
  missingReply: string[];
  notCaptured: string[];
} {
  return {
    path: r.path,
    hops: r.hops.map((h) => ({
      n: h.n,
      point: h.point,
      src: h.src,
      dst: h.dst,
      change: h.change,
      pcap: h.pcap,
      frame: h.frame,
      direction: h.direction,
      proto: h.proto,
      ttl: h.ttl,
    })),
    missing: r.missing,
    missingReply: r.missingReply,
    notCaptured: r.notCaptured,
  };
}
