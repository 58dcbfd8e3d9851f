import { describeChanges } from '../../src/trace/analyze';
import { findFlow } from '../../src/trace/flow';
import { HopFrames, Observation } from '../../src/trace/flow-types';
import { parsePcap } from '../../src/trace/pcap';
import { Scenario, T0 } from './fixtures';

function frames(sc: Scenario): HopFrames[] {
  return sc.hops().map((h) => ({ point: h.point, pcapFile: h.pcapFile, frames: parsePcap(h.pcap) }));
}

const obs = (o: Partial<Observation>): Observation => ({
  point: 'p',
  pcapFile: 'p.pcap',
  frame: 1,
  ts: 0,
  sec: 0,
  nsec: 0,
  direction: 'request',
  proto: 'tcp',
  src: '10.0.0.1',
  sport: 1000,
  dst: '10.0.0.2',
  dport: 80,
  ttl: 64,
  ipId: 1,
  len: 40,
  matchedBy: 'marker',
  fingerprint: 'x',
  ...o,
});

describe('findFlow', () => {
  // External client -> NodePort on node1 (DNAT to a pod on node2 + SNAT to node1's IP, both
  // with port changes). The marker is only in the data; the handshake is found from it.
  const P = ['client:eth0', 'node1:eth0', 'node2/pod3:eth0'];
  function nodePort(opts: { reuse?: boolean } = {}) {
    const sc = new Scenario(P);
    const at = [
      ['192.0.2.50', 33000, '10.0.1.11', 30080],
      ['10.0.1.11', 55555, '10.244.1.3', 8080],
      ['10.0.1.11', 55555, '10.244.1.3', 8080],
    ] as const;
    const seg = (i: number, t: number, flags: string, seq: number, ack: number, id: number, payload?: string) =>
      sc.at(P[i]).packet(t, {
        src: at[i][0],
        dst: at[i][2],
        ttl: 64 - i,
        id,
        tcp: { sport: at[i][1], dport: at[i][3], seq, ack, flags },
        payload,
      });
    const back = (i: number, t: number, flags: string, seq: number, ack: number) =>
      sc.at(P[i]).packet(t, {
        src: at[i][2],
        dst: at[i][0],
        ttl: 62 + i,
        id: 0,
        tcp: { sport: at[i][3], dport: at[i][1], seq, ack, flags },
      });
    const syn = P.map((_, i) => seg(i, T0 + i * 2e-3, 'S', 1000, 0, 7));
    const synAck = [2, 1, 0].map((i) => back(i, T0 + 0.01 + (2 - i) * 2e-3, 'S.', 5000, 1001));
    P.forEach((_, i) => seg(i, T0 + 0.02 + i * 2e-3, '.', 1001, 5001, 8));
    P.forEach((_, i) => seg(i, T0 + 0.03 + i * 2e-3, 'P.', 1001, 5001, 9, 'GET /k8s-netlab-trace-np HTTP/1.1\r\n\r\n'));
    if (opts.reuse) P.forEach((_, i) => seg(i, T0 + 5 + i * 2e-3, 'S', 900000000, 0, 10));
    return { sc, syn, synAck };
  }

  it('learns the rewritten tuple from the marker and finds the handshake at every hop', () => {
    const { sc, syn, synAck } = nodePort();
    const f = findFlow(frames(sc), { marker: 'k8s-netlab-trace-np', order: P });
    expect(f.journey.request.map((o) => [o.point, o.frame, o.flags])).toEqual(P.map((p, i) => [p, syn[i], 'S']));
    expect(f.journey.reply.map((o) => [o.point, o.frame, o.flags])).toEqual(
      [P[2], P[1], P[0]].map((p, j) => [p, synAck[j], 'S.']),
    );
    expect(f.tuples).toEqual(['tcp 192.0.2.50:33000 > 10.0.1.11:30080', 'tcp 10.0.1.11:55555 > 10.244.1.3:8080']);
    expect(f.observations).toHaveLength(12);
    const changes = describeChanges(f.journey.request[0], f.journey.request[1]).map((c) => c.text);
    expect(changes).toEqual([
      'DNAT 10.0.1.11:30080 -> 10.244.1.3:8080',
      'SNAT 192.0.2.50:33000 -> 10.0.1.11:55555',
      'TTL 64 -> 63 (routed)',
    ]);
  });

  it('rejects a later connection that reuses the tuple with another ISN', () => {
    const { sc } = nodePort({ reuse: true });
    const f = findFlow(frames(sc), { marker: 'k8s-netlab-trace-np', order: P });
    expect(f.observations).toHaveLength(12);
    expect(f.observations.every((o) => o.ts < T0 + 1)).toBe(true);
  });

  it('finds the flow from a seed on the first point alone (no marker)', () => {
    const { sc, syn } = nodePort();
    const f = findFlow(frames(sc), { first: { proto: 'tcp', src: '192.0.2.50', dport: 30080 }, order: P });
    expect(f.journey.request.map((o) => o.frame)).toEqual(syn);
    expect(f.journey.request.map((o) => o.matchedBy)).toEqual(['seed', 'same-packet', 'tuple']);
    expect(f.observations).toHaveLength(12);
  });

  it('warns when the given order contradicts the shared clock', () => {
    const { sc } = nodePort();
    const f = findFlow(frames(sc), { marker: 'k8s-netlab-trace-np', order: [P[0], P[2], P[1]] });
    expect(
      f.warnings.some((w) => w.includes('node1:eth0 saw the packet') && w.includes('before node2/pod3:eth0')),
    ).toBe(true);
  });
});

describe('describeChanges', () => {
  it('names multi-hop TTL drops and VXLAN re-encapsulation', () => {
    const enc = (outerDst: string) => ({
      kind: 'vxlan' as const,
      vni: 1,
      outerSrc: '10.0.1.11',
      outerDst,
      outerTtl: 64,
    });
    expect(describeChanges(obs({ ttl: 64 }), obs({ ttl: 61 })).map((c) => c.text)).toEqual([
      'TTL 64 -> 61 (routed 3x)',
    ]);
    expect(describeChanges(obs({ encap: enc('10.0.1.12') }), obs({ encap: enc('10.0.1.13') }))[0].text).toBe(
      're-encap VXLAN vni 1 10.0.1.11 -> 10.0.1.13',
    );
    expect(describeChanges(undefined, obs({}))).toEqual([]);
    expect(describeChanges(obs({ direction: 'reply' }), obs({ direction: 'reply', dst: '10.0.0.9' }))[0]).toEqual({
      kind: 'un-SNAT',
      from: '10.0.0.2:80',
      to: '10.0.0.9:80',
      text: 'un-SNAT 10.0.0.2:80 -> 10.0.0.9:80',
    });
  });
});
