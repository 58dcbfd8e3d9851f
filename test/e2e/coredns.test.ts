/**
 * The CoreDNS path of cluster DNS (cluster.dnsServer / lab up --dns-server).
 *
 * Where coredns/coredns:1.11.3 can be had (present, or pulled within the timeout), the guide lab
 * comes up with `--dns-server coredns`: its kube-system/coredns pods are CoreDNS container pods,
 * the full `dns` probe path passes from two namespaces on two nodes, and a scale shows in DNS
 * within 2 s (file plugin, reload 1s). Where it cannot (offline, as on CI), the refusal path is
 * what is checked: `lab up --dns-server coredns` exits 2 naming the reason and suggesting
 * offline, and creates nothing. Either way `--dns-server auto` is checked to choose what the
 * image's availability says, and to serve DNS with it.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { GUIDE, lab, labContainers, ROOT, labName } from './helpers';
import { coreDnsAvailability } from '../../src/runtime/coredns-image';
import { COREDNS_IMAGE, CoreDnsAvailability } from '../../src/topology/dns-server';

jest.setTimeout(900_000);
const NAME = labName('e2e-coredns');
const AUTO = labName('e2e-coredns-auto');

let avail: CoreDnsAvailability;

beforeAll(async () => {
  avail = await coreDnsAvailability(COREDNS_IMAGE);
  console.log(avail.available ? `coredns image available: ${avail.reason}` : `coredns image unavailable: ${avail.reason}`);
});

afterAll(async () => {
  await lab(['down', '--name', NAME]);
  await lab(['down', '--name', AUTO]);
});

async function digShort(target: string, args: string[]): Promise<string[]> {
  const r = await lab(['exec', '--name', NAME, target, '--', 'dig', '+short', '+time=1', '+tries=1', ...args]);
  return r.stdout.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith(';')).sort();
}

describe('cluster DNS served by CoreDNS', () => {
  it('lab up --dns-server coredns: the dns probes pass through CoreDNS, or (no image) exit 2 and nothing created', async () => {
    const up = await lab(['up', '-t', GUIDE, '--name', NAME, '--dns-server', 'coredns', '--no-verify']);
    if (!avail.available) {
      // The refusal path: a real run of the CLI against the real engine, which cannot get the image.
      expect(up.exitCode).toBe(2);
      const m = /coredns image unavailable: (.*)/.exec(up.stderr);
      expect(m).not.toBeNull();
      console.log(`coredns image unavailable: ${m![1]}`);
      expect(up.stderr).toMatch(/--dns-server: coredns requested/);
      expect(up.stderr).toMatch(/fix: use --dns-server offline/);
      expect(up.stdout).not.toMatch(/starting from/);
      expect(await labContainers(NAME)).toEqual([]);
      expect(existsSync(join(ROOT, `lab-${NAME}`))).toBe(false);
      return;
    }
    expect(up.stderr + up.stdout).not.toMatch(/failed/i);
    expect(up.exitCode).toBe(0);
    expect(up.stdout).toMatch(/dns server coredns \(coredns\/coredns:1\.11\.3, file plugin\), asked coredns/);
    const st = await lab(['status', '--name', NAME]);
    expect(st.stdout.split('\n')[0]).toMatch(/ dns coredns$/);
    const dnsRows = st.stdout.split('\n').filter((l) => /^coredns-/.test(l));
    expect(dnsRows).toHaveLength(2);
    for (const r of dnsRows) expect(r).toMatch(/\s+kube-system\s+node\d\s+10\.244\.\d+\.\d+\s+coredns\s+yes$/);
    const names = await labContainers(NAME);
    expect(names.filter((n) => n.startsWith(`/k8s-netlab-${NAME}-pod-kube-system-coredns-`))).toHaveLength(2);
    // Its files on the host, as mounted at /etc/coredns.
    expect(existsSync(join(ROOT, `lab-${NAME}`, 'coredns'))).toBe(true);

    const v = await lab(['verify', '--name', NAME, '--json', '--path', 'dns']);
    const doc = JSON.parse(v.stdout);
    expect(doc.probes.filter((p: { ok: boolean }) => !p.ok)).toEqual([]);
    expect(doc.probes).toHaveLength(2);
  });

  it('CoreDNS: a scale of the headless Service follows in DNS within 2 s (file plugin reload 1s)', async () => {
    if (!avail.available) {
      console.log(`coredns image unavailable: ${avail.reason} (no CoreDNS lab to scale; the refusal path was checked above)`);
      expect(await labContainers(NAME)).toEqual([]);
      return;
    }
    const before = await digShort('node3/client', ['db.team-a.svc.cluster.local']);
    expect(before).toHaveLength(3);
    const s = await lab(['scale', 'db', '--namespace', 'team-a', '--replicas', '3', '--name', NAME]);
    expect(s.exitCode).toBe(0);
    const t0 = Date.now();
    let now = before;
    while (now.length !== 4 && Date.now() - t0 < 2000) now = await digShort('node3/client', ['db.team-a.svc.cluster.local']);
    expect(now).toHaveLength(4);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('lab up --dns-server auto chooses by the image and serves DNS with what it chose', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e-coredns-'));
    const f = join(dir, 'auto.yaml');
    writeFileSync(
      f,
      [
        `name: ${AUTO}`,
        'nodes: [{name: node1}, {name: node2}]',
        'objects:',
        '  - apiVersion: apps/v1',
        '    kind: Deployment',
        '    metadata: {name: web}',
        '    spec:',
        '      replicas: 2',
        '      selector: {matchLabels: {app: web}}',
        '      template:',
        '        metadata: {labels: {app: web}}',
        '        spec:',
        '          containers:',
        '            - {name: web, image: "registry.k8s.io/e2e-test-images/agnhost:2.47", args: [netexec, --http-port=8080], ports: [{name: http, containerPort: 8080}]}',
        '  - apiVersion: v1',
        '    kind: Service',
        '    metadata: {name: web}',
        '    spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}',
        '',
      ].join('\n'),
    );
    const up = await lab(['up', '-t', f, '--dns-server', 'auto', '--no-verify']);
    expect(up.exitCode).toBe(0);
    const want = avail.available ? 'coredns' : 'offline';
    expect(up.stdout).toContain(`dns server ${want === 'coredns' ? 'coredns (coredns/coredns:1.11.3, file plugin)' : 'offline (knotd + unbound)'}, asked auto`);
    if (!avail.available) expect(up.stdout).toMatch(/coredns image unavailable: image coredns\/coredns:1\.11\.3 is not present locally and cannot be pulled: /);
    expect(up.stderr + up.stdout).not.toMatch(/failed/i);
    const st = await lab(['status', '--name', AUTO]);
    expect(st.stdout.split('\n')[0]).toMatch(new RegExp(` dns ${want}$`));
    expect(st.stdout).toMatch(new RegExp(`^dns server: ${want} \\(asked auto: `, 'm'));
    const v = await lab(['verify', '--name', AUTO, '--json', '--path', 'dns']);
    const doc = JSON.parse(v.stdout);
    expect(doc.probes.length).toBeGreaterThan(0);
    expect(doc.probes.filter((p: { ok: boolean }) => !p.ok)).toEqual([]);
    await lab(['down', '--name', AUTO]);
    expect(await labContainers(AUTO)).toEqual([]);
  });

  it('an unknown --dns-server value exits 2 naming the flag', async () => {
    const r = await lab(['up', '-t', GUIDE, '--name', 'cdns-bad', '--dns-server', 'bind9']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--dns-server: "bind9" is not a valid value/);
    expect(r.stderr).toMatch(/auto, coredns, offline/);
    expect(await labContainers('cdns-bad')).toEqual([]);
  });
});
