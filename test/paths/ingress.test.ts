import { loadTopology } from '../../src/topology/load';
import { ingressRoutes } from '../../src/ingress/parse';
import { ingressProbes, ingressToService, concreteHost } from '../../src/paths/ingress-to-service/probes';
import { fakeRunner, curlOut } from '../fixtures/fake-runner';
import { GUIDE } from '../e2e/helpers';

const model = loadTopology(GUIDE, { name: 'ing-unit' });
const pod = (owner: string) => model.pods.find((p) => p.owner === owner)!.name;

/** A fake Internet host + ingress: answers as the lab would when routing works (or as told). */
function runner(route: (host: string, path: string) => string, xff = '198.51.100.10') {
  return fakeRunner((_t, cmd) => {
    const host = /-H Host: (\S+)/.exec(cmd)![1];
    const p = /http:\/\/[0-9.]+(\S+)$/.exec(cmd)![1];
    if (p.startsWith('/header')) return curlOut(xff);
    return curlOut(route(host, p));
  });
}

const right = (host: string, _p: string) =>
  host === 'web.example.com' ? pod('web') : host.endsWith('.apps.example.com') ? pod('api') : pod('fallback');

describe('ingress-to-service probes', () => {
  const probes = ingressToService.probes(model);

  it('covers each host/path of the guide and the default backend, from the Internet host', () => {
    expect(probes.map((p) => p.name)).toEqual([
      'web.example.com Prefix / -> default/web:http',
      '*.apps.example.com Exact /hostname -> default/api:http',
      '*.apps.example.com Prefix /header -> default/api:http',
      '203.0.113.200 /hostname (no rule matches) -> default backend default/fallback:http',
    ]);
    expect(new Set(probes.map((p) => p.from))).toEqual(new Set(['internet']));
    expect(concreteHost('*.apps.example.com')).toBe('probe.apps.example.com');
  });

  it('passes when each answer comes from the right service and XFF is the Internet host', async () => {
    const r = runner(right);
    const res = await Promise.all(probes.map((p) => p.run(r)));
    expect(res.filter((x) => !x.ok)).toEqual([]);
    expect(res[0].evidence.expected).toMatchObject({ host: 'web.example.com', xForwardedFor: '198.51.100.10' });
    expect(res[0].evidence.observed).toMatchObject({ answeredBy: pod('web'), xForwardedFor: '198.51.100.10' });
    expect(
      r.calls.some((c) => c.includes('-H Host: probe.apps.example.com') && c.endsWith('http://203.0.113.200/hostname')),
    ).toBe(true);
  });

  it('fails when a host/path reaches the wrong service', async () => {
    const res = await Promise.all(probes.map((p) => p.run(runner(() => pod('web')))));
    expect(res.map((x) => x.ok)).toEqual([true, false, true, false]);
    expect(res[1].reason).toMatch(/not a pod of default\/api:http/);
  });

  it('fails when the backend sees another X-Forwarded-For', async () => {
    const res = await Promise.all(probes.map((p) => p.run(runner(right, '100.64.0.10'))));
    expect(res[0].ok).toBe(false);
    expect(res[0].reason).toMatch(/X-Forwarded-For "100.64.0.10", not the Internet host 198.51.100.10/);
  });

  it('fails on no answer', async () => {
    const r = fakeRunner(() => ({ stdout: '', exitCode: 28 }));
    const res = await probes[0].run(r);
    expect(res.ok).toBe(false);
    expect(res.reason).toMatch(/timed out/);
  });

  it('expects nginx 404 when there is no default backend', () => {
    const ing = JSON.parse(JSON.stringify(model.ingresses)) as Array<{ spec: Record<string, unknown> }>;
    delete ing[0].spec.defaultBackend;
    const m = { ...model, ingresses: ing };
    const ps = ingressProbes(m, ingressRoutes(m));
    expect(ps[ps.length - 1].name).toMatch(/-> 404$/);
  });

  it('makes no probes without an edge or without Ingresses', () => {
    expect(ingressToService.probes({ ...model, edge: undefined })).toEqual([]);
    expect(ingressToService.probes({ ...model, ingresses: [] })).toEqual([]);
  });
});
