/**
 * `npm run bench -- proxy`: kube-proxy sync cost and first-packet connect latency per mode at
 * 100 .. 10,000 services, on a lab of its own (bench/proxy-lab.yaml as bench-proxy). The sync is
 * the one src/lab/proxy.ts runs (renderProxyPlan, renderApply, one exec in the node), on node1,
 * where the client and both backends live; the latency is measured inside the client pod.
 */
import * as path from 'path';
import execa from 'execa';
import type { LabModel, NodeModel, PodModel, ProxyMode, IptablesBackend } from '../model/types';
import { computeEndpoints, type EndpointSlice } from '../proxy/endpoints';
import { type ProxyState, IPVS_PREFLIGHT, renderProxyPlan } from '../proxy/plan';
import { renderApply } from '../lab/proxy';
import { readModel } from '../lab/state';
import { exec, execOk, execScriptOk } from '../runtime/exec';
import { stats } from './report';
import {
  type ModeRow,
  PROXY_CLEANUP,
  connectArgv,
  dropOneEndpoint,
  parseConnectTimes,
  proxyTable,
  referenceTable,
  scaleServices,
  shapeSentence,
} from './proxy-scenario';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');
const TOPOLOGY = path.join(ROOT, 'bench', 'proxy-lab.yaml');

export interface ProxyBenchOptions {
  sizes?: number[];
  connects?: number;
  /** Lab name; must start with bench-proxy. */
  lab?: string;
}

interface Mode {
  label: string;
  proxy: ProxyMode;
  backend: IptablesBackend;
}

const MODES: Mode[] = [
  { label: 'iptables (nft backend)', proxy: 'iptables', backend: 'nft' },
  { label: 'iptables (legacy backend)', proxy: 'iptables', backend: 'legacy' },
  { label: 'nftables', proxy: 'nftables', backend: 'nft' },
  { label: 'ipvs', proxy: 'ipvs', backend: 'nft' },
];

const now = () => Number(process.hrtime.bigint()) / 1e6;

async function lab(args: string[]): Promise<void> {
  const r = await execa('node', [BIN, ...args], { reject: false, cwd: ROOT });
  if (r.exitCode !== 0) throw new Error(`lab ${args.join(' ')} failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
}

/** One sync of `node` as syncProxy does it, timed in its two halves. */
export async function sync(model: LabModel, node: NodeModel, slices: EndpointSlice[], prev?: ProxyState) {
  const t0 = now();
  const plan = renderProxyPlan(model, node.name, slices, model.cluster.proxy, prev);
  const script = renderApply(plan.files, plan.commands, plan.state);
  const t1 = now();
  // A sync of thousands of Services is slow by nature: bounded, but far above the default.
  await execScriptOk(node.container, script, `kube-proxy sync (${model.cluster.proxy}) on ${node.name}`, {
    timeoutMs: 600_000,
  });
  return { state: plan.state, partial: plan.partial, renderMs: t1 - t0, applyMs: now() - t1 };
}

async function connects(node: NodeModel, client: PodModel, count: number, targets: string[]): Promise<number[]> {
  const r = await execOk(node.container, connectArgv(client.netns, count, targets));
  return parseConnectTimes(r.stdout, count);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchProxy(opts: ProxyBenchOptions = {}): Promise<string> {
  const sizes = opts.sizes ?? [100, 1000, 5000, 10000];
  const count = opts.connects ?? 1000;
  const name = opts.lab ?? 'bench-proxy';
  if (!name.startsWith('bench-proxy')) throw new Error(`lab name ${name} must start with bench-proxy`);
  await execa('node', [BIN, 'down', '--name', name], { reject: false, cwd: ROOT });
  await lab(['up', '-t', TOPOLOGY, '--name', name, '--no-verify']);
  try {
    const base = await readModel(name);
    const node = base.nodes.find((n) => n.name === 'node1')!;
    const client = base.pods.find((p) => p.name === 'client')!;
    const backends = base.pods.filter((p) => p.labels.app === 'web');
    const template = base.services.find((s) => s.name === 'web')!;
    const direct = backends.map((p) => `${p.ip}:${template.ports[0].targetPort}`);

    await execOk(node.container, ['sh', '-c', PROXY_CLEANUP]);
    const baseline = await connects(node, client, count, direct);
    const ipvs = await exec(node.container, ['sh', '-c', IPVS_PREFLIGHT]);
    const ipvsReason = ipvs.failed ? ipvs.stderr.trim().split('\n')[0] || `ipvsadm exit ${ipvs.exitCode}` : undefined;

    const rows: ModeRow[] = [];
    for (const n of sizes) {
      for (const m of MODES) {
        const row: ModeRow = { mode: m.label, services: n };
        rows.push(row);
        if (m.proxy === 'ipvs' && ipvsReason) {
          row.unavailable = ipvsReason.replace(/; use proxy mode.*/, '');
          continue;
        }
        const scaled = scaleServices(base, template, n);
        const model: LabModel = {
          ...scaled,
          cluster: { ...scaled.cluster, proxy: m.proxy, iptablesBackend: m.backend },
        };
        await execOk(node.container, ['sh', '-c', PROXY_CLEANUP]);
        const slices = computeEndpoints(model);
        const full = await sync(model, node, slices);
        row.fullRenderMs = full.renderMs;
        row.fullApplyMs = full.applyMs;
        // One endpoint of the first service goes and comes back: two incremental syncs.
        const changed = dropOneEndpoint(slices, 's0');
        const down = await sync(model, node, changed, full.state);
        const up = await sync(model, node, slices, down.state);
        if (m.proxy !== 'ipvs' && !(down.partial && up.partial))
          throw new Error(`${m.label}: incremental sync was not partial`);
        row.incRenderMs = median([down.renderMs, up.renderMs]);
        row.incApplyMs = median([down.applyMs, up.applyMs]);
        // The last service: the end of KUBE-SERVICES, iptables' worst case.
        const vip = `${model.services[n - 1].clusterIP}:${template.ports[0].port}`;
        row.vip = await connects(node, client, count, [vip]);
        row.direct = await connects(node, client, count, direct);
        const v = stats(row.vip);
        console.log(
          `${m.label} ${n}: full ${full.renderMs.toFixed(0)} ms + ${full.applyMs.toFixed(0)} ms, ` +
            `incremental ${row.incRenderMs.toFixed(0)} ms + ${row.incApplyMs.toFixed(0)} ms, VIP p50 ${v.p50.toFixed(3)} p99 ${v.p99.toFixed(3)} ms`,
        );
      }
    }
    await execOk(node.container, ['sh', '-c', PROXY_CLEANUP]);
    const b = stats(baseline);
    return [
      `Lab \`${name}\` (bench/proxy-lab.yaml): 2 nodes; the client pod and both backend pods on node1, so a connection crosses only node1's rules. ` +
        `N ClusterIP services s0..s<N-1> (ClusterIPs from the /16 service CIDR), each selecting the same two backend pods; synced on node1 only, ` +
        `each mode starting from a node without any kube-proxy rules.`,
      '',
      `- full sync: render (renderProxyPlan + renderApply, in Node) + apply (one \`sh -s\` exec in the node: files, restore/nft, state.json).`,
      `- incremental sync: one endpoint of s0 removed, then restored, each with \`prev\` (partial / incremental path); median of the two.`,
      `- connect: ${count} fresh TCP connections each (after 50 warm-up ones), timed around connect() with perf_counter_ns in the client pod ` +
        `(python3), closed with RST; VIP = the last service (end of KUBE-SERVICES); pod-IP = straight to the two backends with the mode's rules loaded.`,
      `- no-service baseline (no kube-proxy rules at all on the node), pod-IP connect: p50 ${b.p50.toFixed(3)} ms, p99 ${b.p99.toFixed(3)} ms.`,
      '',
      proxyTable(rows),
      '',
      referenceTable(),
      '',
      shapeSentence(rows, 'iptables (nft backend)', 'nftables', b.p50),
      shapeSentence(rows, 'iptables (legacy backend)', 'nftables', b.p50),
      '',
      'Absolute times here are on a shared 2-core machine with other labs running: compare shapes, not digits, with the published figures (bare-metal nodes).',
    ].join('\n');
  } finally {
    await execa('node', [BIN, 'down', '--name', name], { reject: false, cwd: ROOT });
  }
}
