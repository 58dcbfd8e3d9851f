/**
 * Programs that run inside lab containers are files under images/ (linted and tested as programs,
 * not template strings). The renderers copy them in: a file written next to its config for a
 * long-running server, or fed to `python3 -` for a one-shot run. Read once from the package.
 */
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

export const PROGRAMS = {
  /** The cloud load balancer's health checker and rule writer. */
  lbChecker: 'images/lb/checker.py',
  /** kube-proxy's health servers on each node. */
  healthz: 'images/kube-proxy/healthz.py',
  /** The Internet host's "what is my IP" echo. */
  whoami: 'images/internet/whoami.py',
  /** The bounded HTTP load generator (ingress benchmark, reload-without-drops test). */
  httpLoad: 'images/load/http-load.py',
  /** The NetworkPolicy probe's reachability matrix from one pod. */
  reach: 'images/probes/reach.py',
  /** Runs the probes' commands in one container for a whole `lab verify` (one exec instead of one per command). */
  probeAgent: 'images/probes/agent.py',
  /** K HTTP requests, each on a new connection, in one process (the HTTP sweep of the Service and LB probes). */
  httpSweep: 'images/probes/http-sweep.py',
  /** K UDP datagrams, each from a new socket (the UDP sweep of the Service probes). */
  udpSweep: 'images/probes/udp-sweep.py',
  /** Benchmarks: timed TCP connects (proxy), throughput sink and sender (CNI), load through the LB (edge). */
  connectClient: 'images/bench/connect-client.py',
  tcpSink: 'images/bench/tcp-sink.py',
  tcpSender: 'images/bench/tcp-sender.py',
  edgeLoad: 'images/bench/edge-load.py',
} as const;

export type Program = keyof typeof PROGRAMS;

const cache = new Map<Program, string>();

/** The package root: walked up from this file (dist/images/ or src/images/ under ts-jest). */
function root(rel: string): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, rel))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find ${rel} above ${__dirname}: images/ ships next to dist/ in the package`);
}

/** The program's source text. */
export function programSource(p: Program): string {
  let s = cache.get(p);
  if (s === undefined) {
    const rel = PROGRAMS[p];
    if (!rel) throw new Error(`unknown program ${p}: one of ${Object.keys(PROGRAMS).join(', ')}`);
    s = readFileSync(path.join(root(rel), rel), 'utf8');
    cache.set(p, s);
  }
  return s;
}
