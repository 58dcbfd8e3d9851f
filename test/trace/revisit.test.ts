/**
 * A point the probe crosses twice with different addresses (NodePort hairpin: in on node3's eth0,
 * DNATed and SNATed back out of the same eth0 to the backend's node) appears twice in the
 * journey, in time order, with the NAT named at the second sighting.
 */
import { analyzeTrace } from '../../src/trace/analyze';
import { Scenario, T0 } from './fixtures';

const ORDER = ['vpc:v-node3', 'node3:eth0', 'vpc:v-node2', 'node2/web:eth0'];
const MARK = 'k8s-netlab-trace-feedbeef';

function nodePortScenario(): Scenario {
  const s = new Scenario(ORDER);
  const req = (src: string, sport: number, dst: string, dport: number, ttl: number) => ({
    src,
    dst,
    ttl,
    id: 7,
    tcp: { sport, dport, seq: 1000, ack: 0, flags: 'S' },
  });
  const rep = (src: string, sport: number, dst: string, dport: number, ttl: number) => ({
    src,
    dst,
    ttl,
    id: 9,
    tcp: { sport, dport, seq: 5000, ack: 1001, flags: 'S.' },
  });
  const outside = req('10.0.1.1', 44242, '10.0.1.12', 30080, 64);
  const natted = req('10.0.1.12', 14937, '10.244.1.4', 8080, 63);
  s.at('vpc:v-node3').packet(T0 + 5e-6, outside);
  s.at('node3:eth0').packet(T0 + 10e-6, outside);
  s.at('node3:eth0').packet(T0 + 50e-6, natted);
  s.at('vpc:v-node3').packet(T0 + 55e-6, natted);
  s.at('vpc:v-node2').packet(T0 + 60e-6, { ...natted, ttl: 62 });
  s.at('node2/web:eth0').packet(T0 + 100e-6, { ...natted, ttl: 61 });
  const back = rep('10.244.1.4', 8080, '10.0.1.12', 14937, 64);
  s.at('node2/web:eth0').packet(T0 + 150e-6, back);
  s.at('vpc:v-node2').packet(T0 + 160e-6, { ...back, ttl: 63 });
  s.at('vpc:v-node3').packet(T0 + 165e-6, { ...back, ttl: 63 });
  s.at('node3:eth0').packet(T0 + 170e-6, { ...back, ttl: 63 });
  const unnat = rep('10.0.1.12', 30080, '10.0.1.1', 44242, 62);
  s.at('node3:eth0').packet(T0 + 200e-6, unnat);
  s.at('vpc:v-node3').packet(T0 + 205e-6, unnat);
  // The data segment carries the marker (matched through the tuples learned above).
  s.at('vpc:v-node3').packet(T0 + 0.0001, {
    src: '10.0.1.1',
    dst: '10.0.1.12',
    ttl: 64,
    id: 8,
    tcp: { sport: 44242, dport: 30080, seq: 1001, ack: 5001, flags: 'P.' },
    payload: `GET /echo?msg=${MARK}`,
  });
  return s;
}

describe('a point crossed twice', () => {
  it('shows both sightings in time order, the NAT at the second', () => {
    const r = analyzeTrace({
      path: 'nodeport',
      marker: MARK,
      first: { proto: 'tcp', dst: '10.0.1.12', dport: 30080 },
      order: ORDER,
      hops: nodePortScenario().hops(),
    });
    const req = r.hops.filter((h) => h.direction === 'request');
    expect(req.map((h) => `${h.point} ${h.src}>${h.dst}`)).toEqual([
      'vpc:v-node3 10.0.1.1:44242>10.0.1.12:30080',
      'node3:eth0 10.0.1.1:44242>10.0.1.12:30080',
      'node3:eth0 10.0.1.12:14937>10.244.1.4:8080',
      'vpc:v-node3 10.0.1.12:14937>10.244.1.4:8080',
      'vpc:v-node2 10.0.1.12:14937>10.244.1.4:8080',
      'node2/web:eth0 10.0.1.12:14937>10.244.1.4:8080',
    ]);
    expect(req[2].changes.map((c) => c.kind)).toEqual(['DNAT', 'SNAT', 'TTL']);
    expect(req.map((h) => h.frame)).toEqual([1, 1, 2, 2, 1, 1]);
    const rep = r.hops.filter((h) => h.direction === 'reply');
    expect(rep.map((h) => h.point)).toEqual([
      'node2/web:eth0',
      'vpc:v-node2',
      'vpc:v-node3',
      'node3:eth0',
      'node3:eth0',
      'vpc:v-node3',
    ]);
    expect(rep[4].changes.map((c) => c.kind)).toEqual(['un-SNAT', 'un-DNAT', 'TTL']);
    expect(r.missing).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('keeps one sighting per point when the addresses do not change', () => {
    const s = new Scenario(['a:eth0', 'b:eth0']);
    const p = {
      src: '10.244.0.2',
      dst: '10.244.1.2',
      id: 3,
      tcp: { sport: 5000, dport: 8080, seq: 1, flags: 'S' },
      payload: '',
    };
    s.at('a:eth0').packet(T0, { ...p, ttl: 64 });
    s.at('b:eth0').packet(T0 + 0.00001, { ...p, ttl: 63 });
    // Routed back out of the same interface (same tuple): not a second hop.
    s.at('b:eth0').packet(T0 + 0.00002, { ...p, ttl: 62 });
    const r = analyzeTrace({
      path: 'x',
      first: { proto: 'tcp', dst: '10.244.1.2' },
      order: ['a:eth0', 'b:eth0'],
      hops: s.hops(),
    });
    expect(r.hops.map((h) => h.point)).toEqual(['a:eth0', 'b:eth0']);
  });
});
