/**
 * Ingress in endpoints mode (annotation k8s-netlab.dev/backend-mode: endpoints), in iptables and
 * nftables mode: nginx sends straight to the pods (the backend sees the ingress, not a node, as
 * its peer), a ClusterIP Service is a valid backend, and the upstreams follow endpoint changes
 * (scale up: the new pod is served; delete: the old pod is gone from nginx's config).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import YAML from 'yaml';
import execa from 'execa';
import { GUIDE, lab, labName } from './helpers';

jest.setTimeout(600_000);

function topology(): string {
  const doc = YAML.parse(fs.readFileSync(GUIDE, 'utf8'));
  const ing = doc.objects.find((o: { kind: string }) => o.kind === 'Ingress');
  ing.metadata.annotations = { 'k8s-netlab.dev/backend-mode': 'endpoints' };
  // a ClusterIP Service as a backend: only endpoints mode can reach it
  ing.spec.rules.push({
    host: 'sticky.example.com',
    http: {
      paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web-sticky', port: { number: 80 } } } }],
    },
  });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-ing-ep-')), 'guide.yaml');
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

const MODES = [
  { mode: 'iptables', name: labName('e2e-ing-ep-ipt') },
  { mode: 'nftables', name: labName('e2e-ing-ep-nft') },
];

describe.each(MODES)('ingress endpoints mode, proxy $mode', ({ mode, name }) => {
  afterAll(async () => {
    await lab(['down', '--name', name]);
  });

  // the ingress container is not a lab exec target: read its config through the engine
  const conf = async () =>
    (
      await execa('docker', ['exec', `k8s-netlab-${name}-ingress`, 'cat', '/etc/k8s-netlab/ingress/nginx.conf'], {
        reject: false,
      })
    ).stdout;
  const upstream = (c: string) => /upstream default_web_80_endpoints \{([^}]*)\}/.exec(c)?.[1] ?? '';
  const podIps = async () => {
    const st = JSON.parse((await lab(['status', '--name', name, '--json'])).stdout);
    return Object.fromEntries((st.pods as Array<{ name: string; ip: string }>).map((p) => [p.name, p.ip]));
  };
  const hits = async (host: string) => {
    const r = await lab([
      'exec',
      '--name',
      name,
      'internet',
      '--',
      'sh',
      '-c',
      `for i in $(seq 30); do curl -s -m 2 -H 'Host: ${host}' http://203.0.113.200/hostname; echo; done`,
    ]);
    return new Set(r.stdout.split('\n').filter(Boolean));
  };

  it('ingress-to-service passes with nginx straight to the pods, a ClusterIP backend included', async () => {
    const up = await lab(['up', '-t', topology(), '--name', name, '--no-verify', '--proxy', mode]);
    expect(up.exitCode).toBe(0);
    const v = await lab(['verify', '--name', name, '--json', '--path', 'ingress-to-service']);
    const doc = JSON.parse(v.stdout);
    expect(doc.probes.filter((p: { ok: boolean }) => !p.ok)).toEqual([]);
    const web = doc.probes.find((p: { name: string }) => p.name.startsWith('web.example.com'));
    expect(web.evidence.expected.backendMode).toBe('endpoints');
    expect(web.evidence.observed.peer).toBe(web.evidence.expected.peer);
    expect(doc.probes.some((p: { name: string; ok: boolean }) => p.name.startsWith('sticky.example.com') && p.ok)).toBe(
      true,
    );
    const ips = await podIps();
    const u = upstream(await conf());
    for (const [n, ip] of Object.entries(ips)) if (n.startsWith('web-')) expect(u).toContain(`server ${ip}:8080 `);
    expect(u).not.toContain(':30080');
  });

  it('follows endpoint changes: a scaled-up pod is served, a deleted one leaves the upstream', async () => {
    const before = await podIps();
    expect((await lab(['scale', 'web', '--replicas', '3', '--name', name])).exitCode).toBe(0);
    const after = await podIps();
    const added = Object.keys(after).find((n) => n.startsWith('web-') && !(n in before))!;
    expect(added).toBeDefined();
    expect(upstream(await conf())).toContain(`server ${after[added]}:8080 `);
    expect(await hits('web.example.com')).toContain(added);
    const victim = Object.keys(before).find((n) => n.startsWith('web-'))!;
    expect((await lab(['delete', 'pod', victim, '--name', name])).exitCode).toBe(0);
    const u = upstream(await conf());
    expect(u).not.toMatch(new RegExp(`server ${before[victim].replace(/\./g, '\\.')}:8080 `));
    expect(await hits('web.example.com')).not.toContain(victim);
    // no model change, only readiness: lab watch's kube-proxy sync takes nginx along
    const flip = Object.keys(await podIps()).find((n) => n.startsWith('web-') && n !== victim)!;
    const flipIp = (await podIps())[flip];
    await lab(['exec', '--name', name, flip, '--', 'curl', '-s', 'http://127.0.0.1:8080/ready?set=false']);
    expect((await lab(['watch', '--once', '--name', name])).exitCode).toBe(0);
    expect(upstream(await conf())).not.toMatch(new RegExp(`server ${flipIp.replace(/\./g, '\\.')}:8080 `));
    expect(await hits('web.example.com')).not.toContain(flip);
  });
});
