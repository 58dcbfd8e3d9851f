/**
 * Pod network modes compared in one run: for each mode the guide lab comes up (timed, through
 * the CLI), then pod to pod across nodes: TCP throughput (a python3 socket sender and sink, as
 * iperf3 is not in the lab image), ping RTT and HTTP request latency; then the lab goes down.
 */
import { programSource } from '../images/programs';
import { runPython } from '../plan/shell';
import * as path from 'path';
import execa from 'execa';
import { mdTable, stats } from './report';
import { podMtu } from '../plan/cni';
import { crossNodePairs, publicHttpPort } from '../paths/common/select';
import { parsePing } from '../observe/ping';
import type { CniMode, LabModel } from '../model/types';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');
export const BENCH_PORT = 5201;
export const CNI_BENCH_MODES: CniMode[] = ['vpc-routes', 'host-gw', 'vxlan', 'vpc-native'];

/** Sink (images/bench/tcp-sink.py): accepts one connection, counts bytes to EOF, prints the count. */
export function sinkScript(port = BENCH_PORT, timeoutSec = 30): string {
  return runPython(programSource('tcpSink'), [port, timeoutSec]);
}

/** Sender (images/bench/tcp-sender.py): streams for `seconds`; prints `<bytes> <seconds>`. */
export function senderScript(ip: string, seconds: number, port = BENCH_PORT): string {
  return runPython(programSource('tcpSender'), [ip, port, seconds]);
}

/** Mbit/s from the sender's `<bytes> <seconds>`, checked against what the sink counted. */
export function parseThroughput(sender: string, sink: string): number {
  const [bytes, secs] = sender.trim().split(/\s+/).map(Number);
  const got = Number(sink.trim());
  if (!(bytes > 0) || !(secs > 0)) throw new Error(`sender printed "${sender.trim()}"`);
  if (got !== bytes) throw new Error(`sink counted ${got} bytes, sender sent ${bytes}`);
  return (bytes * 8) / secs / 1e6;
}

/** `curl -w '%{time_total}\n'` lines -> milliseconds. */
export function parseCurlTimes(out: string): number[] {
  return out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((x) => x > 0)
    .map((s) => s * 1000);
}

async function labCli(args: string[]): Promise<{ secs: number; stdout: string }> {
  const t0 = process.hrtime.bigint();
  const r = await execa('node', [BIN, ...args], { reject: false, cwd: ROOT });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.exitCode !== 0) throw new Error(`lab ${args.join(' ')} failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
  return { secs, stdout: r.stdout };
}

async function podExec(name: string, target: string, script: string): Promise<string> {
  const r = await execa('node', [BIN, 'exec', '--name', name, target, '--', 'sh', '-c', script], {
    reject: false,
    cwd: ROOT,
  });
  if (r.exitCode !== 0)
    throw new Error(`${target}: ${script.slice(0, 60)}... exit ${r.exitCode}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

interface ModeResult {
  cni: CniMode;
  upSecs: number;
  mtu: number;
  mbps: number[];
  pingMs: number;
  httpMs: number[];
  pair: string;
}

async function measureMode(cni: CniMode, topology: string, seconds: number, runs: number): Promise<ModeResult> {
  const name = `cni-bench-${cni}`;
  await execa('node', [BIN, 'down', '--name', name], { reject: false, cwd: ROOT });
  const up = await labCli(['up', '-t', topology, '--cni', cni, '--name', name, '--no-verify']);
  try {
    const { readModel } = await import('../lab/state');
    const model: LabModel = await readModel(name);
    const [a, b] = crossNodePairs(model)[0];
    const ta = `${a.node}/${a.namespace === 'default' ? '' : `${a.namespace}/`}${a.name}`;
    const tb = `${b.node}/${b.namespace === 'default' ? '' : `${b.namespace}/`}${b.name}`;
    const mbps: number[] = [];
    for (let i = 0; i < runs; i++) {
      const [sink, sender] = await Promise.all([
        podExec(name, tb, sinkScript()),
        podExec(name, ta, senderScript(b.ip, seconds)),
      ]);
      mbps.push(parseThroughput(sender, sink));
    }
    const ping = parsePing(await podExec(name, ta, `ping -c 50 -i 0.02 -q ${b.ip}`));
    const port = publicHttpPort(b)!;
    const curl = await podExec(
      name,
      ta,
      `for i in $(seq 50); do curl -s -o /dev/null -w '%{time_total}\\n' http://${b.ip}:${port}/hostname; done`,
    );
    return {
      cni,
      upSecs: up.secs,
      mtu: podMtu(model),
      mbps,
      pingMs: ping.rttAvgMs ?? NaN,
      httpMs: parseCurlTimes(curl),
      pair: `${ta} -> ${tb}`,
    };
  } finally {
    await execa('node', [BIN, 'down', '--name', name], { reject: false, cwd: ROOT });
  }
}

export async function benchCni(
  opts: { topology?: string; seconds?: number; runs?: number; modes?: CniMode[] } = {},
): Promise<string> {
  const topology = opts.topology ?? 'topologies/guide.yaml';
  const seconds = opts.seconds ?? 3;
  const runs = opts.runs ?? 3;
  const rows: Array<Array<string | number>> = [];
  let pair = '';
  for (const cni of opts.modes ?? CNI_BENCH_MODES) {
    const r = await measureMode(cni, topology, seconds, runs);
    pair = r.pair;
    const h = stats(r.httpMs);
    rows.push([
      r.cni,
      r.upSecs.toFixed(2),
      r.mtu,
      stats(r.mbps).p50.toFixed(0),
      `${Math.min(...r.mbps).toFixed(0)}–${Math.max(...r.mbps).toFixed(0)}`,
      r.pingMs.toFixed(3),
      h.p50.toFixed(2),
      h.p99.toFixed(2),
    ]);
  }
  return (
    `Guide lab (\`${topology}\`), pod to pod across nodes (${pair}); all modes measured in one run, one lab at a time. ` +
    `Throughput: one TCP stream for ${seconds} s from a python3 socket sender to a sink (iperf3 is not in the lab image), median of ${runs} runs, ` +
    `counted by the sink. Latency: ping (50 echoes, 20 ms apart) average RTT, and 50 sequential HTTP requests (curl, new connection each) to the pod's netexec. ` +
    'lab up: wall-clock seconds of `lab up --no-verify` through the CLI (images present).\n\n' +
    mdTable(
      [
        'cni',
        'lab up (s)',
        'pod MTU',
        'throughput p50 (Mbit/s)',
        'range (Mbit/s)',
        'ping RTT avg (ms)',
        'HTTP p50 (ms)',
        'HTTP p99 (ms)',
      ],
      rows,
    ) +
    '\n\nThe overlay pays for encapsulation (VXLAN: 50 bytes per packet and a second pass through the stack on both nodes); ' +
    'vpc-routes adds one routed hop (the VPC router); host-gw and vpc-native go node to node. ' +
    'All traffic stays on one host, so absolute throughput is bounded by CPU (2 cores, shared with the sender, the sink and the kernel), not by a wire.'
  );
}
