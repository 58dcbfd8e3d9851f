import { readFileSync } from 'fs';
import { join } from 'path';
import { computeEndpoints } from '../../src/proxy/endpoints';
import {
  compareAnswer,
  expectedAnswer,
  hostnameAQuery,
  parseDigOutput,
  podAQuery,
  ptrQuery,
  serviceAQuery,
  servedIndex,
  srvQuery,
  versionQuery,
} from './expect';
import { ready, sampleModel } from './fixtures';

// Fixtures: real `dig` output from knot + unbound serving sampleModel() (serial 7), see live.test.ts.
const fixture = (f: string) => readFileSync(join(__dirname, 'fixtures', f), 'utf8');
const m = sampleModel();
const index = servedIndex(m, computeEndpoints(m, ready), { serial: 7 });
const keys = (rs: { name: string; type: string; data: string }[]) =>
  rs.map((r) => `${r.name} ${r.type} ${r.data}`).sort();

describe('expectedAnswer', () => {
  it('service A, named-port SRV, PTR of a VIP, pod A, dns-version', () => {
    expect(keys(expectedAnswer(index, serviceAQuery(m, { namespace: 'default', name: 'web' }))!.answers)).toEqual([
      'web.default.svc.cluster.local. A 10.96.0.20',
    ]);
    expect(
      keys(
        expectedAnswer(index, srvQuery(m, { namespace: 'default', name: 'web' }, { name: 'http', protocol: 'TCP' }))!
          .answers,
      ),
    ).toEqual(['_http._tcp.web.default.svc.cluster.local. SRV 0 100 80 web.default.svc.cluster.local.']);
    expect(keys(expectedAnswer(index, ptrQuery('10.96.5.5'))!.answers)).toEqual([
      '5.5.96.10.in-addr.arpa. PTR api.prod.svc.cluster.local.',
    ]);
    expect(keys(expectedAnswer(index, podAQuery(m, { namespace: 'prod', ip: '10.244.2.20' }))!.answers)).toEqual([
      '10-244-2-20.prod.pod.cluster.local. A 10.244.2.20',
    ]);
    expect(expectedAnswer(index, versionQuery(m))!.answers[0].data).toBe('"1.1.0"');
  });
  it('headless A set and hostname A', () => {
    const a = expectedAnswer(index, { name: 'DB.default.svc.cluster.local', type: 'a' })!;
    expect(a.status).toBe('NOERROR');
    expect(a.answers.map((r) => r.data)).toEqual(['10.244.1.5', '10.244.2.6', '10.244.2.8']);
    expect(
      expectedAnswer(
        index,
        hostnameAQuery(m, { namespace: 'default', hostname: 'db-0', subdomain: 'db' }),
      )!.answers.map((r) => r.data),
    ).toEqual(['10.244.1.5']);
  });
  it('NXDOMAIN for missing names, NOERROR/NODATA for empty non-terminals and other types', () => {
    expect(expectedAnswer(index, { name: 'empty.default.svc.cluster.local.', type: 'A' })).toEqual({
      status: 'NXDOMAIN',
      answers: [],
    });
    expect(expectedAnswer(index, { name: 'svc.cluster.local.', type: 'A' })).toEqual({
      status: 'NOERROR',
      answers: [],
    });
    expect(expectedAnswer(index, { name: '_tcp.db.default.svc.cluster.local.', type: 'A' })).toEqual({
      status: 'NOERROR',
      answers: [],
    });
    expect(expectedAnswer(index, { name: 'web.default.svc.cluster.local.', type: 'AAAA' })).toEqual({
      status: 'NOERROR',
      answers: [],
    });
    expect(expectedAnswer(index, { name: '7.1.244.10.in-addr.arpa.', type: 'PTR' })!.status).toBe('NXDOMAIN');
  });
  it('ExternalName: the CNAME, then the chain leaves the zone', () => {
    const e = expectedAnswer(index, { name: 'ext.default.svc.cluster.local.', type: 'A' })!;
    expect(e.external).toBe('www.example.com.');
    expect(keys(e.answers)).toEqual(['ext.default.svc.cluster.local. CNAME www.example.com.']);
    expect(
      keys(expectedAnswer(index, { name: 'ext.default.svc.cluster.local.', type: 'CNAME' })!.answers),
    ).toHaveLength(1);
  });
  it('names outside the served zones are not ours to predict', () => {
    expect(expectedAnswer(index, { name: 'www.example.com', type: 'A' })).toBeUndefined();
    expect(expectedAnswer(index, ptrQuery('192.0.2.1'))).toBeUndefined();
  });
});

describe('parseDigOutput (real dig 9.18 output)', () => {
  it('+noall +answer +comments: status, flags, answers', () => {
    const r = parseDigOutput(fixture('dig-service-a.txt'));
    expect(r.status).toBe('NOERROR');
    expect(r.flags).toEqual(['qr', 'rd', 'ra']);
    expect(r.answers).toEqual([{ name: 'web.default.svc.cluster.local.', ttl: 0, type: 'A', data: '10.96.0.20' }]);
  });
  it('NXDOMAIN has no answers', () => {
    const r = parseDigOutput(fixture('dig-nxdomain.txt'));
    expect(r).toMatchObject({ status: 'NXDOMAIN', answers: [] });
  });
  it('full output: question skipped, authority parsed', () => {
    const r = parseDigOutput(fixture('dig-knot-nxdomain-full.txt'));
    expect(r.status).toBe('NXDOMAIN');
    expect(r.flags).toContain('aa');
    expect(r.answers).toEqual([]);
    expect(r.authority.map((x) => x.type)).toEqual(['SOA']);
    const h = parseDigOutput(fixture('dig-full-headless.txt'));
    expect(h.answers.map((x) => x.data).sort()).toEqual(['10.244.1.5', '10.244.2.6', '10.244.2.8']);
  });
  it('no server: error, no status', () => {
    const r = parseDigOutput(fixture('dig-timeout.txt'));
    expect(r.status).toBeUndefined();
    expect(r.error).toMatch(/connection refused|no servers could be reached/);
  });
  it('bare records without +comments count as answers', () => {
    expect(parseDigOutput('web.default.svc.cluster.local. 5 IN A 10.96.0.20\n').answers).toHaveLength(1);
  });
});

describe('compareAnswer: served answers match the zone', () => {
  it.each([
    ['dig-service-a.txt', { name: 'web.default.svc.cluster.local', type: 'A' }],
    ['dig-headless-srv-tcp.txt', { name: '_mysql._tcp.db.default.svc.cluster.local', type: 'SRV' }],
    ['dig-ptr-vip.txt', { name: '20.0.96.10.in-addr.arpa', type: 'PTR' }],
    ['dig-nxdomain.txt', { name: 'nope.default.svc.cluster.local', type: 'A' }],
    ['dig-search-headless.txt', { name: 'db.default.svc.cluster.local', type: 'A' }],
    ['dig-externalname-cname.txt', { name: 'ext.default.svc.cluster.local', type: 'A' }],
  ])('%s', (file, q) => {
    const c = compareAnswer(expectedAnswer(index, q)!, parseDigOutput(fixture(file)));
    expect(c).toEqual({ ok: true, statusOk: true, missing: [], unexpected: [] });
  });
  it('reports missing, unexpected and status mismatches (the comparison can fail)', () => {
    const dig = parseDigOutput(fixture('dig-full-headless.txt'));
    const m2 = sampleModel();
    const fewer = servedIndex(
      m2,
      computeEndpoints(m2, (p) => p.name === 'db-0'),
      { serial: 7 },
    );
    const c = compareAnswer(expectedAnswer(fewer, { name: 'db.default.svc.cluster.local', type: 'A' })!, dig);
    expect(c.ok).toBe(false);
    expect(c.unexpected.sort()).toEqual([
      'db.default.svc.cluster.local. A 10.244.2.6',
      'db.default.svc.cluster.local. A 10.244.2.8',
    ]);
    const c2 = compareAnswer(
      expectedAnswer(index, { name: 'web.default.svc.cluster.local', type: 'A' })!,
      parseDigOutput(fixture('dig-nxdomain.txt')),
    );
    expect(c2).toMatchObject({ ok: false, statusOk: false, missing: ['web.default.svc.cluster.local. A 10.96.0.20'] });
  });
});
