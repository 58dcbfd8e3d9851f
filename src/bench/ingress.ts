/**
 * Requests per second and latency through the ingress (nginx, the guide's ALB) for a small
 * response (netexec /hostname, a pod name), measured from the Internet host with the lab's
 * bounded python3 load generator; the same load straight at a node's public NodePort is the
 * baseline that shows what the L7 hop costs.
 */
import * as path from 'path';
import execa from 'execa';
import { mdTable } from './report';
import { readModel } from '../lab/state';
import { exec } from '../runtime/exec';
import { HttpLoadOptions, HttpLoadResult, parseHttpLoad, renderHttpLoad } from '../observe/http-load';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');
const LAB = 'ing-bench';

async function run(container: string, o: HttpLoadOptions): Promise<HttpLoadResult> {
  const r = await exec(container, ['sh', '-c', renderHttpLoad(o)], { timeoutMs: (o.seconds + 60) * 1000 });
  if (r.failed) throw new Error(`load generator failed: ${r.stderr.trim()}`);
  return parseHttpLoad(r.stdout);
}

export async function benchIngress(seconds = 10): Promise<string> {
  await execa('node', [BIN, 'down', '--name', LAB], { reject: false });
  const up = await execa('node', [BIN, 'up', '-t', 'topologies/guide.yaml', '--name', LAB, '--no-verify'], {
    reject: false,
    cwd: ROOT,
  });
  if (up.exitCode !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
  try {
    const m = await readModel(LAB);
    const e = m.edge!;
    const node = m.nodes.find((n) => n.publicIP)!;
    const cases: Array<{ what: string; o: HttpLoadOptions }> = [
      {
        what: 'ingress, keep-alive, 1 connection',
        o: { ip: e.ingressIP, host: 'web.example.com', path: '/hostname', seconds, connections: 1, keepalive: true },
      },
      {
        what: 'ingress, keep-alive, 8 connections',
        o: { ip: e.ingressIP, host: 'web.example.com', path: '/hostname', seconds, connections: 8, keepalive: true },
      },
      {
        what: 'ingress, new connection per request, 8 clients',
        o: { ip: e.ingressIP, host: 'web.example.com', path: '/hostname', seconds, connections: 8, keepalive: false },
      },
      {
        what: `baseline: ${node.name} public IP NodePort 30080 directly, keep-alive, 8 connections`,
        o: {
          ip: node.publicIP!,
          port: 30080,
          host: 'web',
          path: '/hostname',
          seconds,
          connections: 8,
          keepalive: true,
        },
      },
    ];
    const rows: Array<Array<string | number>> = [];
    for (const c of cases) {
      const r = await run(e.internet.container, c.o);
      rows.push([
        c.what,
        r.requests,
        r.errors,
        r.rps.toFixed(0),
        r.p50ms.toFixed(2),
        r.p99ms.toFixed(2),
        r.maxms.toFixed(1),
      ]);
    }
    return (
      `Guide lab (3 nodes, proxy ${m.cluster.proxy}), client on the Internet host ${e.internet.ip}, ${seconds} s per row, GET /hostname ` +
      `(answer: a pod name, ~25 bytes) with Host web.example.com through the ingress at ${e.ingressIP}:80 (nginx -> every node's NodePort -> ` +
      'kube-proxy -> a web pod). Load generator: python3 threads in the Internet host (wrk is not in the lab image), so the ' +
      'client itself limits the rate on this 2-core machine; the baseline row shows that limit without the L7 hop.\n\n' +
      mdTable(['Path', 'Requests', 'Errors', 'req/s', 'p50 ms', 'p99 ms', 'max ms'], rows)
    );
  } finally {
    await execa('node', [BIN, 'down', '--name', LAB], { reject: false });
  }
}
