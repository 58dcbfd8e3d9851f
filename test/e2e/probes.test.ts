/**
 * Probes as the kubelet runs them, on a running lab, in iptables and nftables mode:
 * - a pod whose readinessProbe fails is kept out of the Service by `lab up` (every node's rules,
 *   the headless Service's DNS records, and the traffic itself), and `lab status` shows READY 0/1;
 * - under `lab watch`, a readiness failure takes a pod out of the endpoints, and a liveness
 *   failure restarts its container (a new process that answers again).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import YAML from 'yaml';
import { GUIDE, LAB_BIN, ROOT, lab, labName } from './helpers';

jest.setTimeout(600_000);

const netexec = {
  image: 'registry.k8s.io/e2e-test-images/agnhost:2.47',
  args: ['netexec', '--http-port=8080', '--udp-port=8081'],
  ports: [{ name: 'http', containerPort: 8080 }],
};

function topology(): string {
  const doc = YAML.parse(fs.readFileSync(GUIDE, 'utf8'));
  doc.objects.push(
    // never ready: its readiness probe asks a path netexec answers with 404
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unready', labels: { app: 'web' } },
      spec: {
        nodeName: 'node1',
        containers: [{ name: 'web', ...netexec, readinessProbe: { httpGet: { path: '/nope', port: 'http' } } }],
      },
    },
    // ready until told otherwise; readiness flips within a second under lab watch
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'flip', labels: { app: 'web' } },
      spec: {
        nodeName: 'node2',
        containers: [
          {
            name: 'web',
            ...netexec,
            readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      },
    },
    // restarted by its liveness probe once /readyz says 503
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'live', labels: { app: 'live' } },
      spec: {
        nodeName: 'node3',
        containers: [
          {
            name: 'main',
            ...netexec,
            livenessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web-headless' },
      spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    },
  );
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-probes-')), 'guide.yaml');
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

/** The address as a whole (10.244.0.5 must not match 10.244.0.50). */
const has = (ip: string) => new RegExp(`${ip.replace(/\./g, '\\.')}(?![0-9])`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Hostnames answering 40 requests to web's ClusterIP from the client pod. */
async function sweep(name: string): Promise<Set<string>> {
  const r = await lab([
    'exec',
    '--name',
    name,
    'client',
    '--',
    'sh',
    '-c',
    'for i in $(seq 40); do curl -s -m 2 http://web.default.svc.cluster.local/hostname; echo; done',
  ]);
  return new Set(r.stdout.split('\n').filter(Boolean));
}

const MODES = [
  { mode: 'iptables', name: labName('e2e-probes-ipt'), rules: ['iptables-save', '-t', 'nat'] },
  { mode: 'nftables', name: labName('e2e-probes-nft'), rules: ['nft', 'list', 'table', 'ip', 'kube-proxy'] },
];

describe.each(MODES)('probes in $mode mode', ({ mode, name, rules }) => {
  let ips: Record<string, string> = {};
  afterAll(async () => {
    await lab(['down', '--name', name]);
  });

  it('lab up keeps a pod whose readiness probe fails out of the rules, DNS and traffic; status READY 0/1', async () => {
    const up = await lab(['up', '-t', topology(), '--name', name, '--no-verify', '--proxy', mode]);
    expect(up.exitCode).toBe(0);
    const st = JSON.parse((await lab(['status', '--name', name, '--json'])).stdout);
    const pods = st.pods as Array<{ name: string; ip: string; ready: string; running: boolean }>;
    ips = Object.fromEntries(pods.map((p) => [p.name, p.ip]));
    const readyOf = (n: string) => pods.find((p) => p.name === n)!.ready;
    expect(readyOf('unready')).toBe('0/1');
    expect(readyOf('flip')).toBe('1/1');
    expect(readyOf('pod1')).toBe('2/2');
    expect(pods.find((p) => p.name === 'unready')!.running).toBe(true);
    const text = (await lab(['status', '--name', name])).stdout;
    expect(text).toMatch(/^unready\s+default\s+node1\s+\S+\s+web\s+0\/1\s+yes$/m);
    for (const node of ['node1', 'node2', 'node3']) {
      const r = await lab(['exec', '--name', name, node, '--', ...rules]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(has(ips.flip)); // a ready web pod is there
      expect(r.stdout).not.toMatch(has(ips.unready));
    }
    const seen = await sweep(name);
    expect(seen.has('flip')).toBe(true);
    expect(seen.has('unready')).toBe(false);
    const dns = await lab([
      'exec',
      '--name',
      name,
      'client',
      '--',
      'python3',
      '-c',
      "import socket; print(' '.join(sorted(socket.gethostbyname_ex('web-headless.default.svc.cluster.local')[2])))",
    ]);
    expect(dns.stdout.split(' ')).toContain(ips.flip);
    expect(dns.stdout.trim().split(' ')).not.toContain(ips.unready);
  });

  it('lab watch: a readiness failure leaves the endpoints; a liveness failure restarts the container', async () => {
    const watch = execa('node', [LAB_BIN, 'watch', '--name', name, '--interval', '0.5'], {
      cwd: ROOT,
      reject: false,
      all: true,
    });
    let out = '';
    watch.all!.on('data', (b) => (out += b.toString()));
    try {
      for (let i = 0; i < 40 && !out.includes('kube-proxy'); i++) await sleep(250);
      // flip fails readiness; live fails liveness
      await lab(['exec', '--name', name, 'flip', '--', 'curl', '-s', 'http://127.0.0.1:8080/ready?set=false']);
      await lab(['exec', '--name', name, 'live', '--', 'curl', '-s', 'http://127.0.0.1:8080/ready?set=false']);
      for (
        let i = 0;
        i < 80 &&
        !(
          out.includes(`-${ips.flip}:8080 (not ready)`) &&
          /liveness probe failed 2 times \(HTTP-503\): restarted default\/live\/main/.test(out)
        );
        i++
      )
        await sleep(250);
    } finally {
      watch.kill('SIGINT');
      await watch;
    }
    expect(out).toContain('kubelet: default/flip/web readiness probe failed (HTTP-503): not ready');
    expect(out).toContain(`-${ips.flip}:8080 (not ready)`);
    expect(out).toMatch(
      /kubelet: liveness probe failed 2 times \(HTTP-503\): restarted default\/live\/main \(restart 1\)/,
    );
    // the restarted process is a new one: ready again
    const after = await lab(['exec', '--name', name, 'live', '--', 'curl', '-s', 'http://127.0.0.1:8080/readyz']);
    expect(after.stdout).toBe('ok');
    const r = await lab(['exec', '--name', name, 'node1', '--', ...rules]);
    expect(r.stdout).not.toMatch(has(ips.flip));
  });
});
