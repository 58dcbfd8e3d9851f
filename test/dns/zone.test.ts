import { execFileSync } from 'child_process';
import { itWithTools } from '../tool-gate';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { computeEndpoints } from '../../src/proxy/endpoints';
import { parseZone } from '../../src/dns/parse-zone';
import { renderClusterZone } from '../../src/dns/zone';
import { renderReverseZones } from '../../src/dns/reverse';
import { labModel, pod, ready, sampleModel, service } from './fixtures';

function zoneOf(model = sampleModel(), opts = { serial: 42 }) {
  const eps = computeEndpoints(model, ready);
  const text = renderClusterZone(model, eps, opts);
  return { text, records: parseZone(text, { origin: model.cluster.domain }).records };
}
const at = (records: { name: string; type: string; data: string }[], name: string, type: string) =>
  records
    .filter((r) => r.name === name && r.type === type)
    .map((r) => r.data)
    .sort();

describe('renderClusterZone', () => {
  it('has SOA, NS with glue and the dns-version TXT', () => {
    const { records } = zoneOf();
    expect(records[0]).toEqual({
      name: 'cluster.local.',
      ttl: 30,
      type: 'SOA',
      data: 'ns.dns.cluster.local. hostmaster.cluster.local. 42 7200 1800 86400 30',
    });
    expect(at(records, 'cluster.local.', 'NS')).toEqual(['ns.dns.cluster.local.']);
    expect(at(records, 'ns.dns.cluster.local.', 'A')).toEqual(['10.96.0.10']);
    expect(at(records, 'dns-version.cluster.local.', 'TXT')).toEqual(['"1.1.0"']);
    expect(records.filter((r) => r.type === 'SOA')).toHaveLength(1);
  });

  it('ClusterIP services: A on the VIP, SRV only for named ports, target the service name', () => {
    const { records } = zoneOf();
    expect(at(records, 'web.default.svc.cluster.local.', 'A')).toEqual(['10.96.0.20']);
    expect(at(records, '_http._tcp.web.default.svc.cluster.local.', 'SRV')).toEqual([
      '0 100 80 web.default.svc.cluster.local.',
    ]);
    // the unnamed 8443 port has no SRV anywhere
    expect(records.filter((r) => r.type === 'SRV' && r.data.includes(' 8443 '))).toEqual([]);
    // NodePort services are ClusterIP services for DNS; UDP ports get _udp
    expect(at(records, '_grpc._udp.api.prod.svc.cluster.local.', 'SRV')).toEqual([
      '0 100 9000 api.prod.svc.cluster.local.',
    ]);
  });

  it('headless: one A per ready endpoint, hostname A records, SRV N x M to the endpoint hostnames', () => {
    const { records } = zoneOf();
    // db-2 is not ready: absent everywhere
    expect(at(records, 'db.default.svc.cluster.local.', 'A')).toEqual(['10.244.1.5', '10.244.2.6', '10.244.2.8']);
    expect(records.some((r) => r.data === '10.244.1.7' && r.name.includes('.svc.'))).toBe(false);
    // spec.hostname when spec.subdomain names the service, else the dashed IP
    expect(at(records, 'db-0.db.default.svc.cluster.local.', 'A')).toEqual(['10.244.1.5']);
    expect(at(records, '10-244-2-6.db.default.svc.cluster.local.', 'A')).toEqual(['10.244.2.6']);
    expect(at(records, '10-244-2-8.db.default.svc.cluster.local.', 'A')).toEqual(['10.244.2.8']);
    expect(records.some((r) => r.name.startsWith('other.'))).toBe(false);
    const srv = at(records, '_mysql._tcp.db.default.svc.cluster.local.', 'SRV');
    expect(srv).toEqual([
      '0 33 3306 10-244-2-6.db.default.svc.cluster.local.',
      '0 33 3306 10-244-2-8.db.default.svc.cluster.local.',
      '0 33 3306 db-0.db.default.svc.cluster.local.',
    ]);
    // port names are lowercased in owner names (2 named ports x 3 endpoints = 6 SRV)
    expect(at(records, '_metrics._tcp.db.default.svc.cluster.local.', 'SRV')).toHaveLength(3);
    expect(records.filter((r) => r.type === 'SRV' && r.name.endsWith('db.default.svc.cluster.local.'))).toHaveLength(6);
  });

  it('headless SRV uses the endpoint (target) port, as CoreDNS does', () => {
    const m = labModel(
      [service('default', 'hl', 'None', [{ name: 'http', port: 80, targetPort: 8080 }])],
      [pod('default', 'p', 'n1', '10.244.1.9', { app: 'hl' })],
    );
    const { records } = zoneOf(m);
    expect(at(records, '_http._tcp.hl.default.svc.cluster.local.', 'SRV')).toEqual([
      '0 100 8080 10-244-1-9.hl.default.svc.cluster.local.',
    ]);
  });

  it('headless service without ready endpoints has no records (NXDOMAIN)', () => {
    const { records } = zoneOf();
    expect(records.filter((r) => r.name.endsWith('empty.default.svc.cluster.local.'))).toEqual([]);
  });

  it('publishNotReadyAddresses publishes not-ready endpoints', () => {
    const m = sampleModel();
    m.services = m.services.map((s) => (s.name === 'db' ? { ...s, publishNotReadyAddresses: true } : s));
    const { records } = zoneOf(m);
    expect(at(records, 'db-2.db.default.svc.cluster.local.', 'A')).toEqual(['10.244.1.7']);
  });

  it('ExternalName: CNAME to the lowercased absolute external name, no A', () => {
    const { records } = zoneOf();
    expect(at(records, 'ext.default.svc.cluster.local.', 'CNAME')).toEqual(['www.example.com.']);
    expect(at(records, 'ext.default.svc.cluster.local.', 'A')).toEqual([]);
  });

  it('pod A records a-b-c-d.<ns>.pod for every pod, ready or not', () => {
    const { records } = zoneOf();
    const pods = records.filter((r) => r.name.includes('.pod.cluster.local.'));
    expect(pods.map((r) => `${r.name} ${r.data}`)).toEqual([
      '10-244-1-5.default.pod.cluster.local. 10.244.1.5',
      '10-244-1-7.default.pod.cluster.local. 10.244.1.7',
      '10-244-1-10.default.pod.cluster.local. 10.244.1.10',
      '10-244-2-6.default.pod.cluster.local. 10.244.2.6',
      '10-244-2-8.default.pod.cluster.local. 10.244.2.8',
      '10-244-2-20.prod.pod.cluster.local. 10.244.2.20',
    ]);
  });

  it('adds default/kubernetes and kube-system/kube-dns unless the model has them', () => {
    const { records } = zoneOf();
    expect(at(records, 'kubernetes.default.svc.cluster.local.', 'A')).toEqual(['10.96.0.1']);
    expect(at(records, '_https._tcp.kubernetes.default.svc.cluster.local.', 'SRV')).toEqual([
      '0 100 443 kubernetes.default.svc.cluster.local.',
    ]);
    expect(at(records, 'kube-dns.kube-system.svc.cluster.local.', 'A')).toEqual(['10.96.0.10']);
    const m = sampleModel();
    m.services.push(service('kube-system', 'kube-dns', '10.96.0.10', [{ name: 'dns', protocol: 'UDP', port: 53 }]));
    expect(at(zoneOf(m).records, '_dns-tcp._tcp.kube-dns.kube-system.svc.cluster.local.', 'SRV')).toEqual([]);
    const none = renderClusterZone(m, [], { serial: 1, builtins: false });
    expect(none).not.toContain('kubernetes.default');
  });

  it('is deterministic and independent of input order; names are lowercase', () => {
    const a = zoneOf().text;
    const m = sampleModel();
    m.services.reverse();
    m.pods.reverse();
    expect(renderClusterZone(m, computeEndpoints(m, ready).reverse(), { serial: 42 })).toBe(a);
    const names = parseZone(a).records.map((r) => r.name);
    expect(names.every((n) => n === n.toLowerCase())).toBe(true);
  });

  it('honours domain, ttl, nsName and nsIP (no glue for an out-of-zone name server)', () => {
    const m = sampleModel({ domain: 'Corp.Example', dnsIP: '10.96.0.53' });
    const text = renderClusterZone(m, computeEndpoints(m, ready), { serial: 1, ttl: 30, nsIP: '10.96.0.53' });
    const { records } = parseZone(text);
    expect(records.every((r) => r.ttl === 30)).toBe(true);
    expect(at(records, 'ns.dns.corp.example.', 'A')).toEqual(['10.96.0.53']);
    expect(at(records, 'web.default.svc.corp.example.', 'A')).toEqual(['10.96.0.20']);
    const out = parseZone(renderClusterZone(m, [], { serial: 1, nsName: 'ns1.elsewhere.net' })).records;
    expect(at(out, 'corp.example.', 'NS')).toEqual(['ns1.elsewhere.net.']);
    expect(out.filter((r) => r.name === 'ns1.elsewhere.net.')).toEqual([]);
  });

  it('rejects a serial that is not a 32-bit unsigned integer', () => {
    expect(() => renderClusterZone(sampleModel(), [], { serial: -1 })).toThrow(/serial/);
    expect(() => renderClusterZone(sampleModel(), [], { serial: 2 ** 32 })).toThrow(/serial/);
  });
});

describe('zones pass named-checkzone (BIND)', () => {
  let checker: string | undefined;
  try {
    execFileSync('named-checkzone', ['-v'], { stdio: 'pipe' });
    checker = 'named-checkzone';
  } catch {
    checker = undefined;
  }
  const run = itWithTools(
    checker ? undefined : 'named-checkzone not installed (apt-get install bind9-utils)',
    'named-checkzone checks',
  );

  run('forward and reverse zones load with full checks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnszone-'));
    try {
      const m = sampleModel();
      const eps = computeEndpoints(m, ready);
      const zones = [
        { origin: 'cluster.local.', text: renderClusterZone(m, eps, { serial: 9 }) },
        ...renderReverseZones(m, eps, { serial: 9 }),
      ];
      for (const z of zones) {
        const f = join(dir, z.origin);
        writeFileSync(f, z.text);
        // -k fail / -n fail: check-names and NS/MX/SRV integrity failures are errors, not warnings
        const out = execFileSync('named-checkzone', ['-k', 'fail', '-n', 'fail', '-i', 'full', z.origin, f], {
          encoding: 'utf8',
        });
        expect(out).toMatch(/loaded serial 9/);
        expect(out.trim().split('\n').pop()).toBe('OK');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  run('named-checkzone rejects a broken zone (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnszone-'));
    try {
      const f = join(dir, 'bad');
      writeFileSync(f, renderClusterZone(sampleModel(), [], { serial: 1 }).replace('10.96.0.20', '10.96.0.300'));
      expect(() => execFileSync('named-checkzone', ['cluster.local.', f], { stdio: 'pipe' })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
