/**
 * Builds multi-point capture fixtures byte by byte: one pcap per capture point, each record's
 * frame number remembered so tests assert against what was written, not against the analyzer.
 */
import {
  arp,
  ethernet,
  ethPacket,
  ETH_P_ARP,
  icmpError,
  ipPacket,
  ipv4,
  IPPROTO_ICMP,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL2,
  PacketSpec,
  sll2,
  vxlanPacket,
  writePcap,
  PcapRecord,
} from '../fixtures/pcap-write';
import { pcapFileName } from '../../src/trace/capture-plan';

export const T0 = 1700000000;

export class Capture {
  readonly records: PcapRecord[] = [];
  constructor(
    readonly point: string,
    readonly linkType = LINKTYPE_ETHERNET,
    readonly nanos = false,
  ) {}
  get file(): string {
    return pcapFileName(this.point);
  }
  /** Adds a record; returns its 1-based frame number. */
  add(ts: number, data: Buffer): number {
    this.records.push({ ts, data });
    return this.records.length;
  }
  /** An IPv4 packet framed for this capture's link type. */
  packet(ts: number, spec: PacketSpec): number {
    if (this.linkType === LINKTYPE_LINUX_SLL2) return this.add(ts, sll2({ pktType: 0 }, ipPacket(spec)));
    return this.add(ts, ethPacket(spec));
  }
  pcap(): Buffer {
    // Records are written in the order added; tests add them in time order per point.
    return writePcap(this.records, { linkType: this.linkType, nanos: this.nanos });
  }
}

export class Scenario {
  readonly caps = new Map<string, Capture>();
  constructor(points: string[], opts: { linkTypes?: Record<string, number> } = {}) {
    for (const p of points) this.caps.set(p, new Capture(p, opts.linkTypes?.[p]));
  }
  at(point: string): Capture {
    const c = this.caps.get(point);
    if (!c) throw new Error(`no capture ${point}`);
    return c;
  }
  hops(): Array<{ point: string; pcapFile: string; pcap: Buffer }> {
    return [...this.caps.values()].map((c) => ({ point: c.point, pcapFile: c.file, pcap: c.pcap() }));
  }
}

/** Unrelated traffic so matching has something to reject. */
export function noise(c: Capture, ts: number): void {
  c.add(
    ts,
    ethernet(
      { dst: 'ff:ff:ff:ff:ff:ff', etherType: ETH_P_ARP },
      arp({ op: 1, senderMac: '02:00:00:00:00:99', senderIp: '10.244.0.9', targetIp: '10.244.0.1' }),
    ),
  );
  c.packet(ts + 0.00001, {
    src: '10.244.0.9',
    dst: '10.96.0.10',
    id: 1,
    udp: { sport: 5555, dport: 53 },
    payload: 'other query',
  });
  c.packet(ts + 0.00002, {
    src: '10.244.0.9',
    dst: '10.244.1.3',
    id: 2,
    tcp: { sport: 41000, dport: 8080, seq: 99, flags: 'S' },
  });
}

export { icmpError, ipv4, IPPROTO_ICMP, vxlanPacket, ethPacket, ipPacket };
