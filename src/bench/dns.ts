/**
 * Cluster DNS with 1,000 Services: queries per second through the kube-dns VIP from one pod
 * (dnsperf from Debian, in the pod's namespace), against one DNS pod directly for comparison, and
 * the reload latency after a change: from the start of syncDns (zones rendered, written, knotc
 * zone-reload -b) until a client pod's dig sees the new record.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import { stringify } from 'yaml';
import { mdTable, stats } from './report';
import { readModel } from '../lab/state';
import { exec, execOk } from '../runtime/exec';
import { dnsPods, syncDns } from '../lab/dns';
import { computeEndpoints } from '../proxy/endpoints';
import { renderClusterZone } from '../dns/zone';
import type { LabModel, ServiceModel } from '../model/types';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');
const LAB = 'dns-bench';
const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.47';

/** The bench topology: 2 nodes, a client pod, 2 web pods and `services` ClusterIP Services in front of them. */
export function benchTopology(services: number): string {
  const objects: unknown[] = [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client' },
      spec: { nodeName: 'node1', containers: [{ name: 'c', image: AGNHOST, args: ['netexec'] }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'w', image: AGNHOST, args: ['netexec'] }] },
        },
      },
    },
  ];
  for (let i = 0; i < services; i++)
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${i}` },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
  return stringify({
    name: LAB,
    cluster: { serviceCIDR: '10.96.0.0/16' },
    nodes: [{ name: 'node1' }, { name: 'node2' }],
    objects,
  });
}

interface Perf {
  qps: number;
  sent: number;
  lost: number;
  avgMs: number;
}

export function parseDnsperf(out: string): Perf {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
  };
}

export async function benchDns(services = 1000, seconds = 10): Promise<string> {
  await execa('node', [BIN, 'down', '--name', LAB], { reject: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dns-bench-'));
  const file = path.join(dir, 'lab.yaml');
  fs.writeFileSync(file, benchTopology(services));
  const t0 = Date.now();
  const up = await execa('node', [BIN, 'up', '-t', file, '--name', LAB, '--no-verify'], { reject: false, cwd: ROOT });
  if (up.exitCode !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
  const upS = (Date.now() - t0) / 1000;
  try {
    const m = await readModel(LAB);
    const client = m.pods.find((p) => p.name === 'client')!;
    const node = m.nodes.find((n) => n.name === client.node)!;
    const dns = dnsPods(m);
    // Query file: every Service's A record, in a shuffled but fixed order.
    const names = m.services
      .filter((s) => s.name.startsWith('svc-'))
      .map((s) => `${s.name}.default.svc.${m.cluster.domain} A`);
    await execOk(node.container, ['sh', '-c', 'cat > /tmp/dns-bench-queries'], { input: names.join('\n') + '\n' });
    const perf = async (server: string) => {
      const r = await exec(node.container, [
        'ip',
        'netns',
        'exec',
        client.netns,
        'dnsperf',
        '-s',
        server,
        '-d',
        '/tmp/dns-bench-queries',
        '-l',
        String(seconds),
        '-c',
        '4',
        '-q',
        '100',
      ]);
      if (r.failed) throw new Error(`dnsperf failed: ${r.stderr || r.stdout}`);
      return parseDnsperf(r.stdout);
    };
    const rows: Array<Array<string | number>> = [];
    const vip = await perf(m.cluster.dnsIP);
    rows.push([
      `kube-dns VIP ${m.cluster.dnsIP} (kube-proxy DNAT to ${dns.length} DNS pods)`,
      vip.sent,
      vip.lost,
      vip.qps.toFixed(0),
      vip.avgMs.toFixed(2),
    ]);
    const direct = await perf(dns[0].ip);
    rows.push([
      `one DNS pod directly (${dns[0].ip}, no DNAT)`,
      direct.sent,
      direct.lost,
      direct.qps.toFixed(0),
      direct.avgMs.toFixed(2),
    ]);

    // Reload latency: a new Service appears in the model; time until the client's dig answers it.
    const eps = computeEndpoints(m, () => true);
    const tRender = Date.now();
    const zoneText = renderClusterZone(m, eps, { serial: 1 });
    const renderMs = Date.now() - tRender;
    const syncMs: number[] = [];
    const visibleMs: number[] = [];
    let cur: LabModel = m;
    for (let i = 0; i < 5; i++) {
      const svc: ServiceModel = {
        ...m.services.find((s) => s.name === 'svc-0')!,
        name: `bench-new-${i}`,
        clusterIP: `10.96.250.${10 + i}`,
      };
      cur = { ...cur, services: [...cur.services, svc] };
      const start = Date.now();
      const res = await syncDns(cur, eps);
      if (res.some((r) => !r.ok)) throw new Error(`syncDns failed: ${JSON.stringify(res)}`);
      syncMs.push(Date.now() - start);
      for (;;) {
        const d = await exec(node.container, [
          'ip',
          'netns',
          'exec',
          client.netns,
          'dig',
          '+short',
          '+time=1',
          '+tries=1',
          `bench-new-${i}.default.svc.${m.cluster.domain}`,
        ]);
        if (d.stdout.trim() === svc.clusterIP) break;
        if (Date.now() - start > 10000) throw new Error(`bench-new-${i} not visible after 10 s`);
      }
      visibleMs.push(Date.now() - start);
    }
    await syncDns(m, eps);
    const s = stats(syncMs);
    const v = stats(visibleMs);
    const zoneLines = zoneText.split('\n').length;
    return (
      `Lab of 2 nodes (proxy ${m.cluster.proxy}) with ${services} ClusterIP Services (plus the built-ins), ${dns.length} DNS pods (knotd + unbound, offline image), ` +
      `\`lab up\` took ${upS.toFixed(0)} s. The cluster zone holds ${zoneLines} lines (${(zoneText.length / 1024).toFixed(0)} KiB) and renders in ${renderMs} ms.\n\n` +
      `Queries per second: dnsperf (Debian 2.10) in the client pod's namespace, ${seconds} s per row, 4 clients, up to 100 queries outstanding, ` +
      `A queries for the ${services} Service names in turn. The client, the DNS pods and the proxy share this machine's 2 cores, so the figures are the machine's, not the servers' limits.\n\n` +
      mdTable(['Target', 'Queries sent', 'Lost', 'Queries/s', 'Avg latency ms'], rows) +
      `\n\nReload latency after a change (a new Service added; 5 runs): syncDns (render ${services}+ Services into the zones, write them into every DNS pod, ` +
      "`knotc zone-reload -b`, which returns once knot serves the new zone) and until the client pod's `dig` through the VIP returns the new record " +
      '(unbound caches nothing: cache-max-ttl 0).\n\n' +
      mdTable(
        ['Step', 'p50 ms', 'max ms'],
        [
          ['syncDns (all DNS pods, in parallel)', s.p50, s.max],
          ['change visible to a pod through the VIP', v.p50, v.max],
        ],
      )
    );
  } finally {
    await execa('node', [BIN, 'down', '--name', LAB], { reject: false });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
