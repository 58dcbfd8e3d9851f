/** npm run bench [-- SUITE...]: runs the suites and writes their sections of BENCHMARKS.md. */
import * as path from 'path';
import { writeSection } from './report';
import { benchLab } from './lab';
import { benchScale } from './scale';
import { benchCni } from './cni';
import { benchProxy } from './proxy';
import { benchEdge } from './edge';
import { benchIngress } from './ingress';
import { benchDns } from './dns';
import { benchTrace } from './trace';
import { benchUi } from './ui';
import { benchNetpol } from './netpol';
import { benchPodServer } from './podserver';
import { benchFaults } from './faults';

const FILE = path.resolve(__dirname, '..', '..', 'BENCHMARKS.md');

const SUITES: Record<string, { title: string; run: () => Promise<string> }> = {
  lab: { title: 'Lab lifecycle: up, verify, down', run: () => benchLab() },
  // BENCH_LAB_SCALE=100,250 for a shorter curve; its own section, so re-running `lab` keeps it.
  scale: {
    title: 'Lab at scale: up, verify, down, memory and the ARP table from 100 to 1,000 pods',
    run: () => benchScale(),
  },
  cni: { title: 'Pod network modes: throughput, latency and lab up time per cni', run: () => benchCni() },
  proxy: {
    title: 'kube-proxy: sync time and first-packet connect latency per mode',
    // BENCH_PROXY_SIZES=100,1000 for a quick run
    run: () => benchProxy({ sizes: process.env.BENCH_PROXY_SIZES?.split(',').map(Number) }),
  },
  edge: { title: 'Edge: L4 LoadBalancer from the Internet host', run: () => benchEdge() },
  ingress: {
    title: 'Ingress (L7, nginx as the ALB): requests per second and latency from the Internet host',
    run: () => benchIngress(),
  },
  trace: { title: 'lab trace: time per path, frames, drops', run: () => benchTrace() },
  ui: {
    title: 'lab graph and lab ui: drawing, Graphviz layout and page load at 200 and 1,000 pods',
    run: () => benchUi(),
  },
  netpol: { title: 'NetworkPolicy: the 324-cell matrix, apply to enforcement, 100 policies', run: () => benchNetpol() },
  podserver: {
    title: 'Pod server memory: RSS and PSS per pod (images/netexec)',
    run: () => benchPodServer(),
  },
  faults: {
    title: 'Faults: time from a fault to each timeline event, and recovery after docker restart of a node',
    // BENCH_FAULT_SCALES=0.1 for the short run
    run: () => benchFaults(process.env.BENCH_FAULT_SCALES?.split(',').map(Number)),
  },
  dns: {
    title: 'Cluster DNS: queries per second through the kube-dns VIP and reload latency, 1,000 Services',
    run: () => benchDns(),
  },
};

export async function main(argv: string[]): Promise<void> {
  const chosen = argv.length ? argv : Object.keys(SUITES);
  for (const id of chosen) {
    const s = SUITES[id];
    if (!s) throw new Error(`unknown suite ${id}; suites: ${Object.keys(SUITES).join(', ')}`);
    console.log(`bench ${id}: ${s.title}`);
    const body = await s.run();
    console.log(body);
    writeSection(FILE, id, s.title, body);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
