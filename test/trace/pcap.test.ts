import {
  arp,
  ethernet,
  ethPacket,
  ETH_P_ARP,
  icmpError,
  ipPacket,
  ipv4,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_RAW,
  sll,
  sll2,
  vxlanPacket,
  writePcap,
} from '../fixtures/pcap-write';
import { parsePcap, PcapFormatError, readPcap } from '../../src/trace/pcap';
import { tcpFlagString } from '../../src/trace/pcap-decode';

const syn = {
  src: '10.244.0.5',
  dst: '10.96.0.20',
  ttl: 64,
  id: 4242,
  tcp: { sport: 41000, dport: 80, seq: 1000000, flags: 'S' },
  srcMac: '02:42:0a:f4:00:05',
  dstMac: '02:42:0a:f4:00:01',
};

describe('readPcap header variants', () => {
  for (const bigEndian of [false, true]) {
    for (const nanos of [false, true]) {
      it(`reads ${bigEndian ? 'big' : 'little'}-endian ${nanos ? 'ns' : 'us'} files`, () => {
        const buf = writePcap(
          [
            { ts: { sec: 1700000000, nsec: 123456789 }, data: ethPacket(syn) },
            {
              ts: { sec: 1700000001, nsec: 5000 },
              data: ethPacket({ ...syn, tcp: { ...syn.tcp, flags: '.', ack: 7 } }),
            },
          ],
          { bigEndian, nanos },
        );
        const cap = readPcap(buf);
        expect(cap.bigEndian).toBe(bigEndian);
        expect(cap.nanos).toBe(nanos);
        expect(cap.linkType).toBe(1);
        expect(cap.frames.map((f) => f.frame)).toEqual([1, 2]);
        expect(cap.frames[0].sec).toBe(1700000000);
        expect(cap.frames[0].nsec).toBe(nanos ? 123456789 : 123456000);
        expect(cap.frames[1].nsec).toBe(5000);
        expect(cap.frames[0].ip).toMatchObject({
          src: '10.244.0.5',
          dst: '10.96.0.20',
          ttl: 64,
          id: 4242,
          proto: 6,
          df: true,
          fragOffset: 0,
          len: 40,
        });
      });
    }
  }

  it('rejects pcapng and garbage with a reason', () => {
    const ng = Buffer.alloc(28);
    ng.writeUInt32BE(0x0a0d0d0a, 0);
    expect(() => readPcap(ng)).toThrow(/pcapng/);
    expect(() => readPcap(Buffer.from('hello world, not a capture'))).toThrow(PcapFormatError);
    expect(() => readPcap(Buffer.alloc(3))).toThrow(/24/);
  });

  it('stops cleanly at a record cut by a killed writer', () => {
    const buf = writePcap([
      { ts: 1, data: ethPacket(syn) },
      { ts: 2, data: ethPacket(syn) },
    ]);
    const cap = readPcap(buf.subarray(0, buf.length - 10));
    expect(cap.frames).toHaveLength(1);
    expect(cap.truncatedFile).toBe(true);
  });
});

describe('decoding', () => {
  it('decodes Ethernet + TCP with tcpdump flag strings and payload', () => {
    const frames = parsePcap(
      writePcap([
        { ts: 1, data: ethPacket(syn) },
        { ts: 2, data: ethPacket({ ...syn, tcp: { sport: 80, dport: 41000, seq: 5, ack: 1000001, flags: 'S.' } }) },
        {
          ts: 3,
          data: ethPacket({
            ...syn,
            tcp: { ...syn.tcp, seq: 1000001, ack: 6, flags: 'P.' },
            payload: 'GET /k8s-netlab-trace-1 HTTP/1.1\r\n\r\n',
          }),
        },
        { ts: 4, data: ethPacket({ ...syn, tcp: { ...syn.tcp, flags: 'F.' } }) },
        { ts: 5, data: ethPacket({ ...syn, tcp: { ...syn.tcp, flags: 'R' } }) },
      ]),
    );
    expect(frames.map((f) => f.l4?.flags)).toEqual(['S', 'S.', 'P.', 'F.', 'R']);
    expect(frames[0].l2).toMatchObject({ srcMac: '02:42:0a:f4:00:05', dstMac: '02:42:0a:f4:00:01', etherType: 0x0800 });
    expect(frames[0].l4).toMatchObject({ kind: 'tcp', sport: 41000, dport: 80, seq: 1000000 });
    expect(frames[1].l4).toMatchObject({ seq: 5, ack: 1000001 });
    expect(frames[2].payload.toString()).toContain('k8s-netlab-trace-1');
    expect(frames[0].payload.length).toBe(0);
    expect(tcpFlagString(0x19)).toBe('FP.');
    expect(tcpFlagString(0)).toBe('none');
  });

  it('decodes UDP, ICMP echo, VLAN tags and ignores Ethernet padding', () => {
    const padded = Buffer.concat([
      ethPacket({ src: '1.1.1.1', dst: '2.2.2.2', udp: { sport: 5353, dport: 53 }, payload: 'ab' }),
      Buffer.alloc(16),
    ]);
    const frames = parsePcap(
      writePcap([
        { ts: 1, data: padded },
        {
          ts: 2,
          data: ethPacket({
            src: '10.244.0.5',
            dst: '8.8.8.8',
            icmp: { id: 77, seq: 3 },
            payload: 'k8s-netlab-trace-x',
            vlan: 42,
          }),
        },
      ]),
    );
    expect(frames[0].l4).toMatchObject({ kind: 'udp', sport: 5353, dport: 53 });
    expect(frames[0].payload.toString()).toBe('ab');
    expect(frames[1].l2.vlan).toBe(42);
    expect(frames[1].l4).toMatchObject({ kind: 'icmp', icmpType: 8, icmpCode: 0, icmpId: 77, icmpSeq: 3 });
    expect(frames[1].payload.toString()).toBe('k8s-netlab-trace-x');
  });

  it('decodes ICMP errors with the quoted header and ports', () => {
    const offending = ipPacket({
      src: '10.244.0.5',
      dst: '10.244.1.3',
      id: 99,
      udp: { sport: 40000, dport: 9999 },
      payload: 'x'.repeat(30),
    });
    const portUnreach = ethernet(
      {},
      ipv4({ src: '10.244.1.3', dst: '10.244.0.5', proto: 1 }, icmpError({ type: 3, code: 3 }, offending)),
    );
    const fragNeeded = ethernet(
      {},
      ipv4({ src: '10.0.1.1', dst: '10.244.0.5', proto: 1 }, icmpError({ type: 3, code: 4, mtu: 1450 }, offending)),
    );
    const [a, b] = parsePcap(
      writePcap([
        { ts: 1, data: portUnreach },
        { ts: 2, data: fragNeeded },
      ]),
    );
    expect(a.l4).toMatchObject({ kind: 'icmp', icmpType: 3, icmpCode: 3 });
    expect(a.l4!.quoted!.ip).toMatchObject({
      src: '10.244.0.5',
      dst: '10.244.1.3',
      id: 99,
      proto: 17,
      len: 20 + 8 + 30,
    });
    expect(a.l4!.quoted!.l4).toMatchObject({ kind: 'udp', sport: 40000, dport: 9999 });
    expect(b.l4).toMatchObject({ icmpType: 3, icmpCode: 4, mtu: 1450 });
    expect(b.l4!.quoted!.l4!.dport).toBe(9999);
  });

  it('decodes ARP', () => {
    const f = ethernet(
      { dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:05', etherType: ETH_P_ARP },
      arp({ op: 1, senderMac: '02:00:00:00:00:05', senderIp: '10.244.0.5', targetIp: '10.244.0.1' }),
    );
    const [fr] = parsePcap(writePcap([{ ts: 1, data: f }]));
    expect(fr.arp).toEqual({
      op: 1,
      senderMac: '02:00:00:00:00:05',
      senderIp: '10.244.0.5',
      targetMac: '00:00:00:00:00:00',
      targetIp: '10.244.0.1',
    });
    expect(fr.ip).toBeUndefined();
  });

  it('decodes VXLAN (8472 and 4789) into the inner frame with its VNI', () => {
    const inner = ethPacket({ ...syn, dst: '10.244.1.3', tcp: { ...syn.tcp, dport: 8080 }, ttl: 63 });
    const frames = parsePcap(
      writePcap([
        { ts: 1, data: vxlanPacket({ src: '10.0.1.11', dst: '10.0.1.12', vni: 1 }, inner) },
        { ts: 2, data: vxlanPacket({ src: '10.0.1.11', dst: '10.0.1.12', vni: 4096, dport: 4789 }, inner) },
      ]),
    );
    expect(frames[0].l4).toMatchObject({ kind: 'udp', dport: 8472 });
    expect(frames[0].inner).toMatchObject({
      vni: 1,
      ip: { src: '10.244.0.5', dst: '10.244.1.3', ttl: 63 },
      l4: { dport: 8080, flags: 'S' },
    });
    expect(frames[1].inner!.vni).toBe(4096);
  });

  it('decodes Linux cooked v1/v2 and raw IP link types', () => {
    const ip = ipPacket({ src: '10.0.0.1', dst: '10.0.0.2', udp: { sport: 1, dport: 2 }, payload: 'hi' });
    for (const [linkType, data] of [
      [LINKTYPE_LINUX_SLL, sll({ pktType: 4, addr: '02:00:00:00:00:09' }, ip)],
      [LINKTYPE_LINUX_SLL2, sll2({ pktType: 0, ifindex: 7, addr: '02:00:00:00:00:09' }, ip)],
      [LINKTYPE_RAW, ip],
    ] as Array<[number, Buffer]>) {
      const cap = readPcap(writePcap([{ ts: 1, data }], { linkType }));
      expect(cap.linkType).toBe(linkType);
      const f = cap.frames[0];
      expect(f.ip).toMatchObject({ src: '10.0.0.1', dst: '10.0.0.2' });
      expect(f.l4).toMatchObject({ kind: 'udp', sport: 1, dport: 2 });
      expect(f.payload.toString()).toBe('hi');
      if (linkType !== LINKTYPE_RAW) expect(f.l2.srcMac).toBe('02:00:00:00:00:09');
      if (linkType === LINKTYPE_LINUX_SLL2) expect(f.l2).toMatchObject({ ifindex: 7, pktType: 0 });
      if (linkType === LINKTYPE_LINUX_SLL) expect(f.l2.pktType).toBe(4);
    }
  });

  it('survives snaplen truncation at every length', () => {
    const full = ethPacket({ ...syn, tcp: { ...syn.tcp, flags: 'P.' }, payload: 'k8s-netlab-trace-zz' });
    for (let cut = 0; cut <= full.length; cut++) {
      const [f] = parsePcap(
        writePcap([{ ts: 1, data: full.subarray(0, cut), origLen: full.length }], { snaplen: cut }),
      );
      expect(f.frame).toBe(1);
      expect(f.truncated).toBe(cut < full.length);
      if (cut >= 14 + 20) expect(f.ip?.src).toBe('10.244.0.5');
      if (cut >= 14 + 40) expect(f.l4?.flags).toBe('P.');
      if (cut < 14 + 20) expect(f.l4).toBeUndefined();
    }
  });
});
