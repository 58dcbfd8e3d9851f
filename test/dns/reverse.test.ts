import { computeEndpoints } from '../../src/proxy/endpoints';
import { parseZone } from '../../src/dns/parse-zone';
import { reverseName, reverseZoneFor } from '../../src/dns/records';
import { renderReverseZones, reverseZoneOrigins } from '../../src/dns/reverse';
import { ready, sampleModel } from './fixtures';

describe('reverseZoneFor', () => {
  it.each([
    ['10.96.0.0/16', '96.10.in-addr.arpa.'],
    ['10.244.0.0/16', '244.10.in-addr.arpa.'],
    ['10.96.0.0/12', '10.in-addr.arpa.'],
    ['172.20.16.0/20', '20.172.in-addr.arpa.'],
    ['192.168.7.0/24', '7.168.192.in-addr.arpa.'],
    ['192.168.7.128/25', '7.168.192.in-addr.arpa.'],
    ['10.0.0.0/8', '10.in-addr.arpa.'],
    ['8.0.0.0/6', 'in-addr.arpa.'],
    ['10.96.7.1/16', '96.10.in-addr.arpa.'],
  ])('%s -> %s (covering octet boundary)', (cidr, zone) => {
    expect(reverseZoneFor(cidr)).toBe(zone);
  });
  it('reverses addresses', () => expect(reverseName('10.96.0.1')).toBe('1.0.96.10.in-addr.arpa.'));
});

describe('renderReverseZones', () => {
  it('PTR for every VIP in the service zone and every ready headless endpoint in the pod zone', () => {
    const m = sampleModel();
    const zones = renderReverseZones(m, computeEndpoints(m, ready), { serial: 3 });
    expect(zones.map((z) => z.origin)).toEqual(['244.10.in-addr.arpa.', '96.10.in-addr.arpa.']);
    const recs = Object.fromEntries(zones.map((z) => [z.origin, parseZone(z.text, { origin: z.origin }).records]));
    const ptr = (o: string) =>
      recs[o]
        .filter((r) => r.type === 'PTR')
        .map((r) => `${r.name} ${r.data}`)
        .sort();
    expect(ptr('96.10.in-addr.arpa.')).toEqual([
      '1.0.96.10.in-addr.arpa. kubernetes.default.svc.cluster.local.',
      '10.0.96.10.in-addr.arpa. kube-dns.kube-system.svc.cluster.local.',
      '20.0.96.10.in-addr.arpa. web.default.svc.cluster.local.',
      '5.5.96.10.in-addr.arpa. api.prod.svc.cluster.local.',
    ]);
    // not-ready db-2 (10.244.1.7) and non-endpoint pods have no PTR
    expect(ptr('244.10.in-addr.arpa.')).toEqual([
      '5.1.244.10.in-addr.arpa. db-0.db.default.svc.cluster.local.',
      '6.2.244.10.in-addr.arpa. 10-244-2-6.db.default.svc.cluster.local.',
      '8.2.244.10.in-addr.arpa. 10-244-2-8.db.default.svc.cluster.local.',
    ]);
    for (const o of Object.keys(recs)) {
      expect(recs[o][0]).toMatchObject({
        name: o,
        type: 'SOA',
        data: `ns.dns.cluster.local. hostmaster.cluster.local. 3 7200 1800 86400 30`,
      });
      expect(recs[o][1]).toMatchObject({ name: o, type: 'NS', data: 'ns.dns.cluster.local.' });
    }
  });

  it('one zone when both CIDRs share it; nested zones each get their own records', () => {
    const same = sampleModel({ serviceCIDR: '10.96.0.0/12', podCIDR: '10.0.0.0/8' });
    expect(reverseZoneOrigins(same)).toEqual(['10.in-addr.arpa.']);
    const nested = sampleModel({ serviceCIDR: '10.96.0.0/12' });
    const zones = renderReverseZones(nested, computeEndpoints(nested, ready), { serial: 1 });
    expect(zones.map((z) => z.origin)).toEqual(['10.in-addr.arpa.', '244.10.in-addr.arpa.']);
    const [outer, inner] = zones.map((z) => parseZone(z.text).records.filter((r) => r.type === 'PTR'));
    expect(outer.every((r) => r.name.endsWith('.96.10.in-addr.arpa.'))).toBe(true);
    expect(inner).toHaveLength(3);
  });
});
