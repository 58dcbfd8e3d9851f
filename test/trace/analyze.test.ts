import { analyzeTrace, traceJson, TraceResult } from '../../src/trace/analyze';
import { InputError, LabError } from '../../src/errors';
import { LINKTYPE_LINUX_SLL2 } from '../fixtures/pcap-write';
import {
  Capture,
  ethPacket,
  icmpError,
  ipPacket,
  ipv4,
  IPPROTO_ICMP,
  noise,
  Scenario,
  T0,
  vxlanPacket,
} from './fixtures';
import { PacketSpec, ethernet } from '../fixtures/pcap-write';

const DT = 0.0001;

/** Sends one packet along `steps` (point, packet as seen there); returns frame numbers per point. */
function walk(sc: Scenario, t: number, steps: Array<[string, PacketSpec]>): Record<string, number> {
  const out: Record<string, number> = {};
  steps.forEach(([p, spec], i) => {
    out[p] = sc.at(p).packet(t + i * DT, spec);
  });
  return out;
}

function rows(r: TraceResult): string[] {
  return r.hops.map((h) => `${h.n} ${h.direction} ${h.point} ${h.src} > ${h.dst} | ${h.change}`);
}

describe('pod -> ClusterIP service (TCP, DNAT at node1, routed by vpc)', () => {
  const P = ['node1/pod1:eth0', 'node1:eth0', 'vpc:v-node2', 'node2:cbr0', 'node2/pod3:eth0'];
  const marker = 'k8s-netlab-trace-abc123';
  const ISN = 3000000000;
  const SISN = 123456;
  const client = { ip: '10.244.0.5', port: 41000 };
  const vip = { ip: '10.96.0.20', port: 80 };
  const ep = { ip: '10.244.1.3', port: 8080 };
  const reqTtl = [64, 63, 62, 61, 61];
  const repTtl = [64, 64, 63, 62, 61]; // from pod3 back to pod1

  function build(opts: { dropAfter?: number; withData?: boolean } = {}) {
    const sc = new Scenario(P);
    P.forEach((p) => noise(sc.at(p), T0));
    const reach = opts.dropAfter ?? P.length;
    const req = (i: number, tcp: PacketSpec['tcp'], id: number, payload?: string): [string, PacketSpec] => [
      P[i],
      {
        src: client.ip,
        dst: i === 0 ? vip.ip : ep.ip,
        ttl: reqTtl[i],
        id,
        tcp: { ...tcp!, sport: client.port, dport: i === 0 ? vip.port : ep.port },
        payload,
      },
    ];
    const rep = (i: number, tcp: PacketSpec['tcp'], id: number, payload?: string): [string, PacketSpec] => [
      P[P.length - 1 - i],
      {
        src: i === P.length - 1 ? vip.ip : ep.ip,
        dst: client.ip,
        ttl: repTtl[i],
        id,
        tcp: { ...tcp!, sport: i === P.length - 1 ? vip.port : ep.port, dport: client.port },
        payload,
      },
    ];
    const idx = (n: number) => [...Array(n).keys()];
    const frames = {
      syn: walk(
        sc,
        T0 + 1,
        idx(reach).map((i) => req(i, { sport: 0, dport: 0, seq: ISN, flags: 'S' }, 500)),
      ),
      synAck: {} as Record<string, number>,
      get: {} as Record<string, number>,
    };
    if (opts.dropAfter !== undefined) {
      // Retransmitted SYNs (new IP IDs), lost at the same place.
      walk(
        sc,
        T0 + 2,
        idx(reach).map((i) => req(i, { sport: 0, dport: 0, seq: ISN, flags: 'S' }, 501)),
      );
      walk(
        sc,
        T0 + 4,
        idx(reach).map((i) => req(i, { sport: 0, dport: 0, seq: ISN, flags: 'S' }, 502)),
      );
      return { sc, frames };
    }
    frames.synAck = walk(
      sc,
      T0 + 1.01,
      idx(5).map((i) => rep(i, { sport: 0, dport: 0, seq: SISN, ack: ISN + 1, flags: 'S.' }, 0)),
    );
    walk(
      sc,
      T0 + 1.02,
      idx(5).map((i) => req(i, { sport: 0, dport: 0, seq: ISN + 1, ack: SISN + 1, flags: '.' }, 501)),
    );
    const getPayload = `GET /echo?msg=${marker} HTTP/1.1\r\nHost: 10.96.0.20\r\n\r\n`;
    frames.get = walk(
      sc,
      T0 + 1.03,
      idx(5).map((i) => req(i, { sport: 0, dport: 0, seq: ISN + 1, ack: SISN + 1, flags: 'P.' }, 502, getPayload)),
    );
    walk(
      sc,
      T0 + 1.04,
      idx(5).map((i) =>
        rep(
          i,
          { sport: 0, dport: 0, seq: SISN + 1, ack: ISN + 1 + getPayload.length, flags: 'P.' },
          77,
          `HTTP/1.1 200 OK\r\n\r\n${marker}`,
        ),
      ),
    );
    // Later: a second connection from the same pod to the same VIP (new port), then one that
    // reuses port 41000 with a new ISN. Neither is the probe.
    walk(
      sc,
      T0 + 3,
      idx(5).map((i) => [
        P[i],
        {
          ...req(i, { sport: 0, dport: 0, seq: 5, flags: 'S' }, 900)[1],
          tcp: { ...req(i, { sport: 0, dport: 0, seq: 5, flags: 'S' }, 900)[1].tcp!, sport: 41001 },
        },
      ]),
    );
    walk(
      sc,
      T0 + 4,
      idx(5).map((i) => req(i, { sport: 0, dport: 0, seq: 77777, flags: 'S' }, 901)),
    );
    return { sc, frames };
  }

  it('finds every hop both ways with DNAT / un-DNAT / TTL changes and cites frames', () => {
    const { sc, frames } = build();
    const r = analyzeTrace({ path: 'pod-to-service', hops: sc.hops(), order: P, marker });
    expect(rows(r)).toEqual([
      '1 request node1/pod1:eth0 10.244.0.5:41000 > 10.96.0.20:80 | -',
      '2 request node1:eth0 10.244.0.5:41000 > 10.244.1.3:8080 | DNAT 10.96.0.20:80 -> 10.244.1.3:8080, TTL 64 -> 63 (routed)',
      '3 request vpc:v-node2 10.244.0.5:41000 > 10.244.1.3:8080 | TTL 63 -> 62 (routed)',
      '4 request node2:cbr0 10.244.0.5:41000 > 10.244.1.3:8080 | TTL 62 -> 61 (routed)',
      '5 request node2/pod3:eth0 10.244.0.5:41000 > 10.244.1.3:8080 | none',
      '6 reply node2/pod3:eth0 10.244.1.3:8080 > 10.244.0.5:41000 | -',
      '7 reply node2:cbr0 10.244.1.3:8080 > 10.244.0.5:41000 | none',
      '8 reply vpc:v-node2 10.244.1.3:8080 > 10.244.0.5:41000 | TTL 64 -> 63 (routed)',
      '9 reply node1:eth0 10.244.1.3:8080 > 10.244.0.5:41000 | TTL 63 -> 62 (routed)',
      '10 reply node1/pod1:eth0 10.96.0.20:80 > 10.244.0.5:41000 | un-DNAT 10.244.1.3:8080 -> 10.96.0.20:80, TTL 62 -> 61 (routed)',
    ]);
    // The journey follows the SYN and the SYN-ACK (found via the marker-bearing GET's tuple).
    for (const h of r.hops.filter((x) => x.direction === 'request'))
      expect([h.frame, h.flags]).toEqual([frames.syn[h.point], 'S']);
    for (const h of r.hops.filter((x) => x.direction === 'reply'))
      expect([h.frame, h.flags]).toEqual([frames.synAck[h.point], 'S.']);
    expect(r.hops[0].pcap).toBe('node1_pod1@eth0.pcap');
    expect(r.hops[1].changes.map((c) => c.kind)).toEqual(['DNAT', 'TTL']);
    expect(r.missing).toEqual([]);
    expect(r.missingReply).toEqual([]);
    expect(r.replied).toBe(true);
    expect(r.lastSeen).toBe('node2/pod3:eth0');
    // SYN, ACK, GET one way; SYN-ACK and response the other; the later connections are excluded.
    for (const p of P) expect(r.packets[p]).toEqual({ request: 3, reply: 2 });
    expect(r.tuples).toEqual(['tcp 10.244.0.5:41000 > 10.96.0.20:80', 'tcp 10.244.0.5:41000 > 10.244.1.3:8080']);
    expect(r.warnings).toEqual([]);
  });

  it('gives the --json shape the issue asks for', () => {
    const { sc, frames } = build();
    const j = traceJson(analyzeTrace({ path: 'pod-to-service', hops: sc.hops(), order: P, marker }));
    const parsed = JSON.parse(JSON.stringify(j));
    expect(parsed.path).toBe('pod-to-service');
    expect(Object.keys(parsed.hops[0]).slice(0, 7)).toEqual(['n', 'point', 'src', 'dst', 'change', 'pcap', 'frame']);
    expect(parsed.hops[1]).toMatchObject({
      n: 2,
      point: 'node1:eth0',
      pcap: 'node1@eth0.pcap',
      frame: frames.syn['node1:eth0'],
    });
    expect(parsed.hops).toHaveLength(10);
  });

  it('orders by the path even when captures are listed in another order', () => {
    const { sc } = build();
    const hops = sc.hops().reverse();
    const r = analyzeTrace({ path: 'x', hops, order: P, marker });
    expect(r.hops.map((h) => h.point)).toEqual([...P, ...[...P].reverse()]);
  });

  it('reports a drop: missing points, last point seen, no reply (seeded without marker)', () => {
    const { sc, frames } = build({ dropAfter: 3 });
    const hops = sc.hops().filter((h) => h.point !== 'node2/pod3:eth0');
    const r = analyzeTrace({
      path: 'p',
      hops,
      order: P,
      first: { proto: 'tcp', src: client.ip, dst: vip.ip, dport: vip.port },
    });
    expect(r.hops.map((h) => [h.point, h.frame])).toEqual(P.slice(0, 3).map((p) => [p, frames.syn[p]]));
    expect(r.hops.every((h) => h.direction === 'request')).toBe(true);
    expect(r.missing).toEqual(['node2:cbr0']);
    expect(r.notCaptured).toEqual(['node2/pod3:eth0']);
    expect(r.lastSeen).toBe('vpc:v-node2');
    expect(r.replied).toBe(false);
    expect(r.missingReply).toEqual(P.slice(0, 4));
    // All three SYN transmissions were recognised (same ISN), the journey cites the first.
    expect(r.packets['node1:eth0']).toEqual({ request: 3, reply: 0 });
    expect(r.hops[1].matchedBy).toBe('same-packet');
  });

  it('finds nothing when the marker is not in the captures', () => {
    const { sc } = build();
    const r = analyzeTrace({ path: 'p', hops: sc.hops(), order: P, marker: 'k8s-netlab-trace-other' });
    expect(r.hops).toEqual([]);
    expect(r.missing).toEqual(P);
    expect(r.lastSeen).toBeUndefined();
    expect(r.warnings).toEqual(['marker k8s-netlab-trace-other is in no captured packet of the flow']);
    const s = analyzeTrace({ path: 'p', hops: sc.hops(), order: P, first: { proto: 'udp', dport: 4444 } });
    expect(s.hops).toEqual([]);
    expect(s.warnings[0]).toMatch(/^no packet at node1\/pod1:eth0 matches the first packet given/);
  });
});

describe('pod -> Internet (two SNATs: node masquerade, then the Internet gateway)', () => {
  const P = ['node1/pod1:eth0', 'node1:eth0', 'vpc:v-node1', 'igw:eth1', 'igw:eth0', 'internet:eth0'];
  const marker = 'k8s-netlab-trace-egress1';
  it('names SNAT twice on the way out and un-SNAT twice on the way back', () => {
    const sc = new Scenario(P);
    const srcAt = [
      ['10.244.0.5', 40000],
      ['10.0.1.11', 40000],
      ['10.0.1.11', 40000],
      ['10.0.1.11', 40000],
      ['198.51.100.7', 61000],
      ['198.51.100.7', 61000],
    ] as const;
    const ttl = [64, 63, 63, 62, 62, 61];
    const server = { ip: '203.0.113.10', port: 80 };
    const payload = `GET /${marker} HTTP/1.1\r\n\r\n`;
    walk(
      sc,
      T0,
      P.map((p, i) => [
        p,
        {
          src: srcAt[i][0],
          dst: server.ip,
          ttl: ttl[i],
          id: 10,
          tcp: { sport: srcAt[i][1], dport: server.port, seq: 1, ack: 1, flags: 'P.' },
          payload,
        },
      ]),
    );
    walk(
      sc,
      T0 + 0.01,
      [...P].reverse().map((p, j) => {
        const i = P.length - 1 - j;
        return [
          p,
          {
            src: server.ip,
            dst: srcAt[i][0],
            ttl: 60 - j,
            id: 20,
            tcp: { sport: server.port, dport: srcAt[i][1], seq: 1, ack: 1 + payload.length, flags: 'P.' },
            payload: 'HTTP/1.1 200 OK\r\n\r\n',
          },
        ];
      }),
    );
    const r = analyzeTrace({ path: 'pod-to-internet', hops: sc.hops(), order: P, marker });
    const changes = r.hops.map((h) => h.change);
    expect(changes[1]).toBe('SNAT 10.244.0.5:40000 -> 10.0.1.11:40000, TTL 64 -> 63 (routed)');
    expect(changes[2]).toBe('none');
    expect(changes[4]).toBe('SNAT 10.0.1.11:40000 -> 198.51.100.7:61000');
    expect(r.hops.filter((h) => h.changes.some((c) => c.kind === 'SNAT'))).toHaveLength(2);
    const reply = r.hops.filter((h) => h.direction === 'reply');
    expect(reply.map((h) => h.point)).toEqual([...P].reverse());
    expect(reply[2].change).toBe('un-SNAT 198.51.100.7:61000 -> 10.0.1.11:40000, TTL 59 -> 58 (routed)');
    expect(reply[5].change).toBe('un-SNAT 10.0.1.11:40000 -> 10.244.0.5:40000, TTL 56 -> 55 (routed)');
    expect(reply[5].dst).toBe('10.244.0.5:40000');
  });
});

describe('pod -> pod across nodes over VXLAN (flannel), connection refused, seeded', () => {
  const P = ['node1/pod1:eth0', 'node1:flannel.1', 'node1:eth0', 'node2:eth0', 'node2:flannel.1', 'node2/pod3:eth0'];
  it('shows encap with VNI and outer addresses, then decap, and the RST back', () => {
    const sc = new Scenario(P, { linkTypes: { 'node2:eth0': LINKTYPE_LINUX_SLL2 } });
    const outerFwd = { src: '10.0.1.11', dst: '10.0.1.12', vni: 1 };
    const outerRev = { src: '10.0.1.12', dst: '10.0.1.11', vni: 1 };
    const syn = (ttl: number): PacketSpec => ({
      src: '10.244.0.5',
      dst: '10.244.1.3',
      ttl,
      id: 4,
      tcp: { sport: 42000, dport: 9999, seq: 42, flags: 'S' },
    });
    const rst = (ttl: number): PacketSpec => ({
      src: '10.244.1.3',
      dst: '10.244.0.5',
      ttl,
      id: 0,
      tcp: { sport: 9999, dport: 42000, seq: 0, ack: 43, flags: 'R.' },
    });
    const enc = (c: Capture, t: number, outer: typeof outerFwd, inner: PacketSpec): number => {
      const frame = vxlanPacket(outer, ethPacket(inner));
      // node2:eth0 is captured with -i any here: cooked v2 header instead of Ethernet.
      return c.linkType === LINKTYPE_LINUX_SLL2
        ? c.add(t, Buffer.concat([Buffer.from('0800000000000002000100060242000000010000', 'hex'), frame.subarray(14)]))
        : c.add(t, frame);
    };
    const f: Record<string, number> = {};
    // Noise: another pod pair's VXLAN traffic on the same nodes.
    enc(sc.at('node1:eth0'), T0, outerFwd, {
      src: '10.244.0.7',
      dst: '10.244.1.8',
      id: 4,
      tcp: { sport: 42000, dport: 9999, seq: 1, flags: 'S' },
    });
    f['node1/pod1:eth0'] = sc.at(P[0]).packet(T0 + 1, syn(64));
    f['node1:flannel.1'] = sc.at(P[1]).packet(T0 + 1.0001, syn(63));
    f['node1:eth0'] = enc(sc.at(P[2]), T0 + 1.0002, outerFwd, syn(63));
    f['node2:eth0'] = enc(sc.at(P[3]), T0 + 1.0003, outerFwd, syn(63));
    f['node2:flannel.1'] = sc.at(P[4]).packet(T0 + 1.0004, syn(63));
    f['node2/pod3:eth0'] = sc.at(P[5]).packet(T0 + 1.0005, syn(62));
    sc.at(P[5]).packet(T0 + 1.001, rst(64));
    sc.at(P[4]).packet(T0 + 1.0011, rst(63));
    enc(sc.at(P[3]), T0 + 1.0012, outerRev, rst(63));
    enc(sc.at(P[2]), T0 + 1.0013, outerRev, rst(63));
    sc.at(P[1]).packet(T0 + 1.0014, rst(63));
    sc.at(P[0]).packet(T0 + 1.0015, rst(62));

    const r = analyzeTrace({
      path: 'pod-to-pod-vxlan',
      hops: sc.hops(),
      order: P,
      first: { proto: 'tcp', src: '10.244.0.5', dst: '10.244.1.3', dport: 9999 },
    });
    expect(r.hops.map((h) => `${h.point} ${h.change}`)).toEqual([
      'node1/pod1:eth0 -',
      'node1:flannel.1 TTL 64 -> 63 (routed)',
      'node1:eth0 encap VXLAN vni 1 10.0.1.11 -> 10.0.1.12',
      'node2:eth0 none',
      'node2:flannel.1 decap',
      'node2/pod3:eth0 TTL 63 -> 62 (routed)',
      'node2/pod3:eth0 -',
      'node2:flannel.1 TTL 64 -> 63 (routed)',
      'node2:eth0 encap VXLAN vni 1 10.0.1.12 -> 10.0.1.11',
      'node1:eth0 none',
      'node1:flannel.1 decap',
      'node1/pod1:eth0 TTL 63 -> 62 (routed)',
    ]);
    expect(r.hops.slice(0, 6).map((h) => h.frame)).toEqual(P.map((p) => f[p]));
    expect(r.hops[2].encap).toMatchObject({ vni: 1, outerSrc: '10.0.1.11', outerDst: '10.0.1.12', outerDport: 8472 });
    expect(r.hops[2].src).toBe('10.244.0.5:42000');
    expect(r.hops[6].flags).toBe('R.');
    expect(r.hops[0].matchedBy).toBe('seed');
  });
});

describe('ICMP echo through masquerade (echo id rewritten)', () => {
  const P = ['node1/pod1:eth0', 'node1:eth0', 'vpc:v-node1'];
  function build() {
    const sc = new Scenario(P);
    const data = 'k8s-netlab-trace-ping1';
    const at = [
      ['10.244.0.5', 7, 64],
      ['10.0.1.11', 1024, 63],
      ['10.0.1.11', 1024, 63],
    ] as const;
    // Another pod's ping, masqueraded with id 1025, same seq: must not be taken.
    sc.at('node1:eth0').packet(T0 + 0.5, {
      src: '10.0.1.11',
      dst: '8.8.8.8',
      id: 9,
      icmp: { id: 1025, seq: 1 },
      payload: 'other ping',
    });
    const req = walk(
      sc,
      T0 + 1,
      P.map((p, i) => [
        p,
        {
          src: at[i][0],
          dst: '8.8.8.8',
          ttl: at[i][2],
          id: 300,
          icmp: { type: 8, id: at[i][1], seq: 1 },
          payload: data,
        },
      ]),
    );
    const rep = walk(
      sc,
      T0 + 1.02,
      [...P].reverse().map((p, j) => {
        const i = P.length - 1 - j;
        return [
          p,
          {
            src: '8.8.8.8',
            dst: at[i][0],
            ttl: 117 - (i === 0 ? 1 : 0),
            id: 5,
            icmp: { type: 0, id: at[i][1], seq: 1 },
            payload: data,
          },
        ];
      }),
    );
    sc.at('node1:eth0').packet(T0 + 1.03, {
      src: '8.8.8.8',
      dst: '10.0.1.11',
      id: 10,
      icmp: { type: 0, id: 1025, seq: 1 },
      payload: 'other ping',
    });
    return { sc, req, rep };
  }

  it('follows the echo by marker and names the id rewrite', () => {
    const { sc, req, rep } = build();
    const r = analyzeTrace({ path: 'ping', hops: sc.hops(), order: P, marker: 'k8s-netlab-trace-ping1' });
    expect(r.hops.map((h) => `${h.direction} ${h.point} ${h.src} > ${h.dst} | ${h.change}`)).toEqual([
      'request node1/pod1:eth0 10.244.0.5 > 8.8.8.8 | -',
      'request node1:eth0 10.0.1.11 > 8.8.8.8 | SNAT 10.244.0.5 -> 10.0.1.11, ICMP id 7 -> 1024, TTL 64 -> 63 (routed)',
      'request vpc:v-node1 10.0.1.11 > 8.8.8.8 | none',
      'reply vpc:v-node1 8.8.8.8 > 10.0.1.11 | -',
      'reply node1:eth0 8.8.8.8 > 10.0.1.11 | none',
      'reply node1/pod1:eth0 8.8.8.8 > 10.244.0.5 | un-SNAT 10.0.1.11 -> 10.244.0.5, ICMP id 1024 -> 7, TTL 117 -> 116 (routed)',
    ]);
    expect(r.hops.map((h) => h.frame)).toEqual([...P.map((p) => req[p]), ...[...P].reverse().map((p) => rep[p])]);
    expect(r.packets['node1:eth0']).toEqual({ request: 1, reply: 1 });
  });

  it('follows it without a marker from the echo id and sequence alone', () => {
    const { sc, req } = build();
    const r = analyzeTrace({
      path: 'ping',
      hops: sc.hops(),
      order: P,
      first: { proto: 'icmp', icmpId: 7, icmpSeq: 1 },
    });
    expect(r.hops).toHaveLength(6);
    expect(r.hops[1]).toMatchObject({
      point: 'node1:eth0',
      frame: req['node1:eth0'],
      matchedBy: 'same-packet',
      icmpId: 1024,
    });
    expect(r.packets['node1:eth0']).toEqual({ request: 1, reply: 1 });
  });
});

/** A DNS message: query, or answer with one A record (QR bit set). */
function dns(name: string, answer?: string): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0x1234, 0);
  h.writeUInt16BE(answer ? 0x8180 : 0x0100, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(answer ? 1 : 0, 6);
  const q = Buffer.concat([
    ...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  if (!answer) return Buffer.concat([h, q]);
  const a = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, ...answer.split('.').map(Number)]);
  return Buffer.concat([h, q, a]);
}

describe('UDP DNS query to the kube-dns VIP', () => {
  const P = ['node1/pod1:eth0', 'node1:eth0', 'node2:eth0', 'node2/coredns-1:eth0'];
  const name = 'k8s-netlab-trace-dns1.default.svc.cluster.local';
  it('matches query and answer (marker in both) with DNAT and un-DNAT', () => {
    const sc = new Scenario(P);
    P.forEach((p) => noise(sc.at(p), T0));
    const dstAt = ['10.96.0.10', '10.244.1.2', '10.244.1.2', '10.244.1.2'];
    const q = dns(name);
    const a = dns(name, '10.96.0.99');
    walk(
      sc,
      T0 + 1,
      P.map((p, i) => [
        p,
        {
          src: '10.244.0.5',
          dst: dstAt[i],
          ttl: [64, 63, 62, 62][i],
          id: 11,
          udp: { sport: 53000, dport: 53 },
          payload: q,
        },
      ]),
    );
    walk(
      sc,
      T0 + 1.01,
      [...P].reverse().map((p, j) => {
        const i = P.length - 1 - j;
        return [
          p,
          {
            src: dstAt[i],
            dst: '10.244.0.5',
            ttl: [62, 62, 63, 64][i],
            id: 12,
            udp: { sport: 53, dport: 53000 },
            payload: a,
          },
        ];
      }),
    );
    const r = analyzeTrace({ path: 'dns', hops: sc.hops(), order: P, marker: 'k8s-netlab-trace-dns1' });
    expect(r.hops.map((h) => `${h.direction} ${h.point} ${h.change}`)).toEqual([
      'request node1/pod1:eth0 -',
      'request node1:eth0 DNAT 10.96.0.10:53 -> 10.244.1.2:53, TTL 64 -> 63 (routed)',
      'request node2:eth0 TTL 63 -> 62 (routed)',
      'request node2/coredns-1:eth0 none',
      'reply node2/coredns-1:eth0 -',
      'reply node2:eth0 TTL 64 -> 63 (routed)',
      'reply node1:eth0 TTL 63 -> 62 (routed)',
      'reply node1/pod1:eth0 un-DNAT 10.244.1.2:53 -> 10.96.0.10:53',
    ]);
    for (const p of P) expect(r.packets[p]).toEqual({ request: 1, reply: 1 });
  });

  it('classifies a DNS answer as a reply even where the query was not captured', () => {
    const sc = new Scenario(['node1/pod1:eth0']);
    sc.at('node1/pod1:eth0').packet(T0, {
      src: '10.96.0.10',
      dst: '10.244.0.5',
      id: 1,
      udp: { sport: 53, dport: 53000 },
      payload: dns(name, '1.2.3.4'),
    });
    const r = analyzeTrace({
      path: 'dns',
      hops: sc.hops(),
      order: ['node1/pod1:eth0'],
      marker: 'k8s-netlab-trace-dns1',
    });
    expect(r.hops.map((h) => h.direction)).toEqual(['reply']);
    expect(r.missing).toEqual(['node1/pod1:eth0']);
  });
});

describe('UDP to a closed port behind a Service: ICMP port unreachable back', () => {
  const P = ['node1/pod1:eth0', 'node1:eth0', 'node2/pod3:eth0'];
  it('ties the ICMP error to the flow through its quoted header, un-DNATed on the way back', () => {
    const sc = new Scenario(P);
    const dstAt = [
      ['10.96.0.30', 9000],
      ['10.244.1.3', 9999],
      ['10.244.1.3', 9999],
    ] as const;
    const sent: Buffer[] = [];
    P.forEach((p, i) => {
      const spec: PacketSpec = {
        src: '10.244.0.5',
        dst: dstAt[i][0],
        ttl: 64 - Math.min(i, 1) - (i === 2 ? 1 : 0),
        id: 42,
        udp: { sport: 50000, dport: dstAt[i][1] },
        payload: 'k8s-netlab-trace-udp9',
      };
      sent.push(ipPacket(spec));
      sc.at(p).packet(T0 + i * DT, spec);
    });
    // The error quotes the datagram as pod3 got it; conntrack rewrites outer source and quote
    // back to the VIP at node1 (RELATED traffic is NATed like its connection).
    const errAt = (i: number, from: string, ttl: number) =>
      sc
        .at(P[i])
        .add(
          T0 + 0.01 + (2 - i) * DT,
          ethernet(
            {},
            ipv4(
              { src: from, dst: '10.244.0.5', proto: IPPROTO_ICMP, ttl, id: 7 },
              icmpError({ type: 3, code: 3 }, sent[i]),
            ),
          ),
        );
    const e2 = errAt(2, '10.244.1.3', 64);
    errAt(1, '10.244.1.3', 63);
    const e0 = errAt(0, '10.96.0.30', 62);
    const r = analyzeTrace({ path: 'udp-closed', hops: sc.hops(), order: P, marker: 'k8s-netlab-trace-udp9' });
    const reply = r.hops.filter((h) => h.direction === 'reply');
    expect(reply.map((h) => [h.point, h.frame])).toEqual([
      ['node2/pod3:eth0', e2],
      ['node1:eth0', 2],
      ['node1/pod1:eth0', e0],
    ]);
    expect(reply[0].change).toBe('ICMP port unreachable from 10.244.1.3');
    expect(reply[0].icmpError).toMatchObject({ type: 3, code: 3 });
    expect(reply[2].change).toBe('un-DNAT 10.244.1.3 -> 10.96.0.30, TTL 63 -> 62 (routed)');
    expect(reply.every((h) => h.matchedBy === 'icmp-quote')).toBe(true);
  });
});

describe('input errors', () => {
  const hops = [{ point: 'a:eth0', pcapFile: 'a.pcap', pcap: new Capture('a:eth0').pcap() }];
  it('needs a marker or a seed', () => {
    expect(() => analyzeTrace({ path: 'p', hops, order: ['a:eth0'] })).toThrow(InputError);
    expect(() => analyzeTrace({ path: 'p', hops, order: ['a:eth0'], marker: 'ab' })).toThrow(/too short/);
  });
  it('rejects a point given twice and names an unreadable pcap', () => {
    expect(() => analyzeTrace({ path: 'p', hops: [...hops, ...hops], order: [], marker: 'k8s-x-1' })).toThrow(
      /given twice/,
    );
    const bad = [{ point: 'a:eth0', pcapFile: 'a.pcap', pcap: Buffer.from('not a pcap at all, sorry') }];
    expect(() => analyzeTrace({ path: 'p', hops: bad, order: [], marker: 'k8s-x-1' })).toThrow(LabError);
    expect(() => analyzeTrace({ path: 'p', hops: bad, order: [], marker: 'k8s-x-1' })).toThrow(
      /a\.pcap \(capture point a:eth0/,
    );
  });
});
