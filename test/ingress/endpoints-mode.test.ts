/**
 * Ingress backend mode `endpoints` (annotation k8s-netlab.dev/backend-mode): nginx sends straight
 * to the Service's ready endpoints, as ingress-nginx does, instead of every node's NodePort.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { computeEndpoints } from '../../src/proxy/endpoints';
import { parseIngresses } from '../../src/ingress/parse';
import { BACKEND_MODE_ANNOTATION } from '../../src/ingress/types';
import { NO_ENDPOINTS_PORT } from '../../src/ingress/nginx';
import { ingressConfig } from '../../src/plan/ingress';
import { ingressToService } from '../../src/paths/ingress-to-service/probes';
import { tracePlan } from '../../src/paths';
import { loadTopology } from '../../src/topology/load';
import type { LabModel } from '../../src/model/types';
import { curlOut, fakeRunner } from '../fixtures/fake-runner';
import { GUIDE } from '../e2e/helpers';
import { ingress, path as rulePath, sources, svc } from './fixtures';

function guideEndpoints(): LabModel {
  const m = loadTopology(GUIDE, { name: 'ing-ep' });
  const ing = m.ingresses![0] as { metadata: Record<string, unknown> };
  ing.metadata.annotations = { [BACKEND_MODE_ANNOTATION]: 'endpoints' };
  return m;
}

describe('ingress endpoints mode', () => {
  it('accepts a ClusterIP backend only with the annotation; refuses unknown modes', () => {
    const services = [svc('internal', undefined, { selector: { app: 'internal' } })];
    const annotated = {
      ...(ingress('a', { rules: [{ http: { paths: [rulePath('/', 'Prefix', 'internal')] } }] }) as object),
      metadata: { name: 'a', annotations: { [BACKEND_MODE_ANNOTATION]: 'endpoints' } },
    };
    const ok = parseIngresses(sources(annotated), services);
    expect(ok.errors).toEqual([]);
    expect(ok.routes.hosts[0].paths[0].backend).toMatchObject({ service: 'internal', mode: 'endpoints', nodePort: 0 });
    const plain = parseIngresses(
      sources(ingress('b', { rules: [{ http: { paths: [rulePath('/', 'Prefix', 'internal')] } }] })),
      services,
    );
    expect(plain.errors[0].hint).toContain(`${BACKEND_MODE_ANNOTATION}: endpoints`);
    const bad = parseIngresses(
      sources({
        ...(annotated as object),
        metadata: { name: 'c', annotations: { [BACKEND_MODE_ANNOTATION]: 'pods' } },
      }),
      services,
    );
    expect(bad.errors.map((e) => e.message)).toContain(
      `objects[0].metadata.annotations.${BACKEND_MODE_ANNOTATION}: Unsupported value: "pods"`,
    );
  });

  it('renders upstream servers from the ready endpoints, and a 503 server when none is ready', () => {
    const m = guideEndpoints();
    const cfg = ingressConfig(m, computeEndpoints(m));
    const webPods = m.pods.filter((p) => p.labels.app === 'web').map((p) => `${p.ip}:8080`);
    const up = /upstream default_web_80_endpoints \{([^}]*)\}/.exec(cfg.conf)![1];
    for (const ep of webPods) expect(up).toContain(`server ${ep} `);
    expect(up).not.toMatch(/:30080/); // not the NodePort
    const none = ingressConfig(
      m,
      computeEndpoints(m, (p) => p.labels.app !== 'web'),
    );
    expect(/upstream default_web_80_endpoints \{([^}]*)\}/.exec(none.conf)![1]).toContain(
      `server 127.0.0.1:${NO_ENDPOINTS_PORT};`,
    );
    expect(none.conf).toContain(`listen 127.0.0.1:${NO_ENDPOINTS_PORT};`);
    expect(none.hash).not.toBe(cfg.hash); // an endpoint change is a config change: nginx reloads
    const nginx = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim();
    if (nginx) {
      for (const conf of [cfg.conf, none.conf]) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ing-ep-'));
        const file = path.join(dir, 'nginx.conf');
        fs.writeFileSync(
          file,
          conf.replace(/\/run\/k8s-netlab-ingress/g, dir).replace(/listen 80/g, 'listen 127.0.0.1:18080'),
        );
        const r = spawnSync(nginx, ['-t', '-q', '-e', 'stderr', '-c', file], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
      }
    }
  });

  it('needs pod IPs the VPC routes: refused with cni vxlan (exit-2 input error)', () => {
    const m = guideEndpoints();
    m.cluster.cni = 'vxlan';
    expect(() => ingressConfig(m)).toThrow(/endpoints mode needs pod IPs the VPC can route to/);
  });

  it('probe: passes when the backend saw the ingress itself as peer; fails when it saw a node (NodePort path) or nothing', async () => {
    const m = guideEndpoints();
    const probes = ingressToService.probes(m);
    const p = probes.find((x) => x.name.startsWith('web.example.com'))!;
    const web = m.pods.find((x) => x.labels.app === 'web')!.name;
    const answer = (peer: string | undefined) =>
      fakeRunner((_t, cmd) => {
        if (cmd.includes('/header')) return curlOut(m.edge!.internet.ip);
        if (cmd.includes('/clientip'))
          return peer === undefined ? { stdout: '', exitCode: 28 } : curlOut(`${peer}:41000`);
        return curlOut(web);
      });
    const ok = await p.run(answer(m.edge!.ingress.ip));
    expect(ok.reason).toBeUndefined();
    expect(ok.evidence).toMatchObject({
      expected: { backendMode: 'endpoints', peer: m.edge!.ingress.ip },
      observed: { peer: m.edge!.ingress.ip },
    });
    const viaNode = await p.run(answer(m.nodes[0].ip));
    expect(viaNode.ok).toBe(false);
    expect(viaNode.reason).toMatch(/not from the ingress/);
    const empty = await p.run(answer(undefined));
    expect(empty.ok).toBe(false);
  });

  it("trace: from nginx straight to each endpoint (VPC router, the pod's node, the pod), no NodePort hop", () => {
    const plan = tracePlan(guideEndpoints(), 'ingress-to-service', 'k8s-netlab-trace-0123abcd');
    for (const b of plan.branches!) {
      expect(b.label).toMatch(/straight from nginx/);
      expect(b.points[b.points.length - 1]).toMatch(/\/[a-z0-9-]+:eth0$/);
    }
    const nodeport = tracePlan(
      loadTopology(GUIDE, { name: 'ing-np' }),
      'ingress-to-service',
      'k8s-netlab-trace-0123abcd',
    );
    expect(nodeport.branches!.length).toBeGreaterThan(plan.branches!.length); // every node x every endpoint
  });
});
