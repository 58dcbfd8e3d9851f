/**
 * The L7 ingress end to end, on its own lab (e2e-ingress): the ingress-to-service probe passes
 * from the Internet host, nginx reloads under traffic without failing a request, and bad
 * Ingresses are refused with exit 2 before anything is created or changed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import YAML from 'yaml';
import { GUIDE, lab, labContainers, labName } from './helpers';
import { readModel } from '../../src/lab/state';
import { syncIngress } from '../../src/lab/ingress';
import { exec } from '../../src/runtime/exec';
import { parseHttpLoad, renderHttpLoad } from '../../src/observe/http-load';
import { curlArgv, parseCurl } from '../../src/observe/curl';
import type { LabModel } from '../../src/model/types';

jest.setTimeout(600_000);

const NAME = labName('e2e-ingress');
const BAD = labName('e2e-ingress-bad');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-ingress-'));

/** The guide with extra objects appended (written next to the guide so manifests resolve). */
function guideWith(extra: unknown[], file: string): string {
  const doc = YAML.parse(fs.readFileSync(GUIDE, 'utf8'));
  doc.objects = [...doc.objects, ...extra];
  const out = path.join(tmp, file);
  fs.writeFileSync(out, YAML.stringify(doc));
  return out;
}

const ing = (name: string, rules: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name },
  spec: { rules, ...extra },
});
const rule = (
  host: string,
  p: string,
  pathType: string,
  svc: string,
  port: Record<string, unknown> = { number: 80 },
) => ({
  host,
  http: { paths: [{ path: p, pathType, backend: { service: { name: svc, port } } }] },
});

async function ask(model: LabModel, host: string, p: string) {
  const argv = curlArgv(`http://${model.edge!.ingressIP}${p}`);
  const r = await exec(model.edge!.internet.container, [
    ...argv.slice(0, -1),
    '-H',
    `Host: ${host}`,
    argv[argv.length - 1],
  ]);
  return parseCurl(r.stdout, r.exitCode);
}

afterAll(async () => {
  await lab(['down', '--name', NAME]);
  await lab(['down', '--name', BAD]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('bad Ingresses: exit 2, nothing created', () => {
  const cases: Array<[string, unknown[], RegExp]> = [
    [
      'missing service',
      [ing('bad', [rule('x.example.com', '/', 'Prefix', 'nope')])],
      /spec\.rules\[0\]\.http\.paths\[0\]\.backend\.service\.name: service "nope" not found/,
    ],
    [
      'missing port',
      [ing('bad', [rule('x.example.com', '/', 'Prefix', 'api', { number: 8080 })])],
      /backend\.service\.port\.number: service default\/api has no TCP port 8080/,
    ],
    [
      'ClusterIP backend',
      [ing('bad', [rule('x.example.com', '/', 'Prefix', 'web-sticky')])],
      /type ClusterIP[\s\S]*fix: set type: NodePort on Service web-sticky/,
    ],
    [
      'two Ingresses colliding',
      [
        ing('one', [rule('x.example.com', '/api', 'Prefix', 'api')]),
        ing('two', [rule('x.example.com', '/api/', 'Prefix', 'web', { name: 'http' })]),
      ],
      /collides with objects\[\d+\]\.spec\.rules\[0\]\.http\.paths\[0\] \(Ingress default\/one\)/,
    ],
  ];
  it.each(cases)('%s', async (_n, extra, message) => {
    const file = guideWith(extra, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    const r = await lab(['up', '-t', file, '--name', BAD]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr + r.stdout).toMatch(message);
    expect(await labContainers(BAD)).toEqual([]);
  });
});

describe('the ingress lab', () => {
  let model: LabModel;

  beforeAll(async () => {
    await lab(['down', '--name', NAME]);
    const up = await lab(['up', '-t', GUIDE, '--name', NAME, '--no-verify']);
    if (up.exitCode !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
    expect(up.stdout).toMatch(/ingress: nginx started on 203\.0\.113\.200:80/);
    model = await readModel(NAME);
  });

  it('ingress-to-service passes from the Internet host, with X-Forwarded-For = the Internet host', async () => {
    const r = await lab(['verify', '--name', NAME, '--path', 'ingress-to-service', '--json']);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      probes: Array<{ ok: boolean; name: string; reason?: string; evidence: { observed: Record<string, unknown> } }>;
    };
    expect(report.probes.filter((p) => !p.ok)).toEqual([]);
    expect(report.probes.length).toBeGreaterThanOrEqual(4);
    const xffs = report.probes.map((p) => p.evidence.observed.xForwardedFor).filter((x) => x !== undefined);
    expect(xffs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(xffs)).toEqual(new Set([model.edge!.internet.ip]));
    const answered = report.probes.map((p) => String(p.evidence.observed.answeredBy ?? ''));
    expect(answered.some((a) => a.startsWith('web-'))).toBe(true);
    expect(answered.some((a) => a.startsWith('api-'))).toBe(true);
    expect(answered.some((a) => a.startsWith('fallback-'))).toBe(true);
    expect(r.exitCode).toBe(0);
  });

  it('routes by host and path as Kubernetes says (wildcard one label, Exact, Prefix elements, default)', async () => {
    const who = async (host: string, p: string) => {
      const o = await ask(model, host, p);
      return o.status === 200 ? o.body.replace(/-[0-9a-f]{10}-[a-z0-9]{5}$/, '') : `HTTP ${o.status}`;
    };
    expect(await who('web.example.com', '/hostname')).toBe('web');
    expect(await who('a.apps.example.com', '/hostname')).toBe('api');
    expect(await who('a.b.apps.example.com', '/hostname')).toBe('fallback'); // two labels: no host rule
    expect(await who('apps.example.com', '/hostname')).toBe('fallback');
    expect(await who('a.apps.example.com', '/hostname/')).toBe('HTTP 404'); // Exact: default backend's netexec 404
    expect((await ask(model, 'a.apps.example.com', '/headers')).body).toBe('404 page not found'); // not an element of /header
  });

  it('reloads nginx on a config change without failing a request (keep-alive and new connections)', async () => {
    const e = model.edge!;
    const load = (keepalive: boolean) =>
      exec(e.internet.container, [
        'sh',
        '-c',
        renderHttpLoad({
          ip: e.ingressIP,
          host: 'web.example.com',
          path: '/hostname',
          seconds: 8,
          connections: 4,
          keepalive,
        }),
      ]);
    const runs = [load(true), load(false)];
    const extra = ing('extra', [rule('new.example.com', '/', 'Prefix', 'api')]);
    const changed: LabModel = { ...model, ingresses: [...(model.ingresses ?? []), extra] };
    await new Promise((r) => setTimeout(r, 1500));
    const syncs = [];
    for (const m of [changed, model, changed]) {
      syncs.push(await syncIngress(m));
      await new Promise((r) => setTimeout(r, 800));
    }
    expect(syncs.map((s) => s.action)).toEqual(['reloaded', 'reloaded', 'reloaded']);
    expect(syncs[0].hash).not.toBe(syncs[1].hash);
    const [keep, fresh] = (await Promise.all(runs)).map((r) => parseHttpLoad(r.stdout));
    for (const res of [keep, fresh]) {
      expect({ errors: res.errors, samples: res.errorSamples }).toEqual({ errors: 0, samples: [] });
      expect(res.requests).toBeGreaterThan(100);
    }
    // The last config is live: the new host answers from api.
    expect((await ask(model, 'new.example.com', '/hostname')).body).toMatch(/^api-/);
  });

  it('lab apply with a bad Ingress exits 2 and leaves the running config alone', async () => {
    const before = await exec(model.edge!.ingress.container, ['curl', '-s', 'http://127.0.0.1:10254/config-hash']);
    const file = guideWith([ing('bad', [rule('x.example.com', '/', 'Prefix', 'nope')])], 'apply-bad.yaml');
    const r = await lab(['apply', '-t', file, '--name', NAME]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/service "nope" not found/);
    const after = await exec(model.edge!.ingress.container, ['curl', '-s', 'http://127.0.0.1:10254/config-hash']);
    expect(after.stdout).toBe(before.stdout);
    expect(after.stdout.trim()).toMatch(/^[0-9a-f]{16}$/);
  });
});
