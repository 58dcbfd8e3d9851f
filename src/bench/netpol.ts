/**
 * NetworkPolicy: the 324-cell matrix of topologies/netpol.yaml (step 3), the time from lab apply
 * to enforcement on every node, and rule count and load time of 100 policies, through the real
 * CLI and the node's nft.
 */
import * as path from 'path';
import execa from 'execa';
import { loadTopology } from '../topology/load';
import { renderNetpol } from '../netpol/nftables';
import type { NetworkPolicyModel } from '../model/netpol';
import { mdTable, stats } from './report';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');

async function cli(args: string[]): Promise<{ s: number; stdout: string }> {
  const t0 = process.hrtime.bigint();
  const r = await execa('node', [BIN, ...args], { reject: false, cwd: ROOT });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.exitCode !== 0) throw new Error(`lab ${args.join(' ')} failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
  return { s, stdout: r.stdout };
}

/** 100 policies over x, y, z: each selects one pod label and allows one namespace on one port. */
export function hundredPolicies(): NetworkPolicyModel[] {
  return Array.from({ length: 100 }, (_, i) => ({
    name: `p${i}`,
    namespace: ['x', 'y', 'z'][i % 3],
    podSelector: { matchLabels: { pod: ['a', 'b', 'c'][Math.floor(i / 3) % 3] } },
    policyTypes: i % 2 ? ['Ingress', 'Egress'] : ['Ingress'],
    ingress: [
      {
        peers: [{ namespaceSelector: { matchLabels: { ns: ['x', 'y', 'z'][(i + 1) % 3] } } }],
        ports: [{ protocol: i % 4 < 2 ? 'TCP' : 'UDP', port: 1000 + i }],
      },
    ],
    egress:
      i % 2
        ? [
            {
              peers: [{ ipBlock: { cidr: '10.244.0.0/16', except: [`10.244.${i % 3}.0/24`] } }],
              ports: [{ protocol: 'TCP', port: 2000 + i, endPort: 2010 + i }],
            },
          ]
        : [],
  }));
}

export async function benchNetpol(runs = 3): Promise<string> {
  const name = `${process.env.BENCH_LAB_PREFIX ?? ''}bench-netpol`;
  await execa('node', [BIN, 'down', '--name', name], { reject: false });
  const up = await cli(['up', '-t', 'topologies/netpol.yaml', '--name', name, '--no-verify']);
  const applies: number[] = [];
  const syncs: number[] = [];
  const verifies: number[] = [];
  let cells = 0;
  let denied = 0;
  try {
    for (let i = 0; i < runs; i++) {
      // From no policy to step 3 and back: each apply changes every node's table.
      for (const f of ['topologies/netpol/step-3.yaml', 'topologies/netpol/step-1.yaml']) {
        const a = await cli(['apply', '-t', f, '--name', name]);
        applies.push(a.s);
        const ms = /network policies: .* synced on \d+ nodes \((\d+)ms\)/.exec(a.stdout)?.[1];
        if (ms) syncs.push(Number(ms));
      }
      await cli(['apply', '-t', 'topologies/netpol/step-3.yaml', '--name', name]);
      const v = await cli(['verify', '--name', name, '--path', 'network-policy', '--json']);
      verifies.push(v.s);
      const report = JSON.parse(v.stdout) as {
        probes: Array<{ evidence: { expected: { cells?: Array<{ verdict: string }> } } }>;
      };
      const all = report.probes.flatMap((p) => p.evidence.expected.cells ?? []);
      cells = all.length;
      denied = all.filter((c) => c.verdict === 'denied').length;
    }
    // 100 policies: render (pure) and load on node1 with the node's nft.
    const model = { ...loadTopology(path.join(ROOT, 'topologies/netpol.yaml')), networkPolicies: hundredPolicies() };
    const t0 = process.hrtime.bigint();
    const r = renderNetpol(model, 'node1');
    const renderMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const node1 = `${model.prefix}-${name}-node1`;
    const loads: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t1 = process.hrtime.bigint();
      await execa('docker', ['exec', '-i', node1, 'nft', '-f', '-'], { input: r.script });
      loads.push(Number(process.hrtime.bigint() - t1) / 1e6);
    }
    const med = (xs: number[]) => stats(xs).p50.toFixed(xs === syncs || xs === loads ? 0 : 2);
    return [
      `topologies/netpol.yaml: 3 nodes, 9 pods (x, y, z × a, b, c), ports 80 and 81 TCP and UDP; \`lab up\` took ${up.s.toFixed(1)} s. Median of ${runs} runs. The matrix is \`lab verify --path network-policy\` at step 3 (${cells} cells, ${denied} denied, every denial confirmed by a drop counter; cells wait at most 1 s for an answer, all cells of a source at once, 6 sources at a time), wall-clock of the CLI. The five engineers' labs shared the 2 cores while this ran.`,
      '',
      mdTable(
        ['measure', 'median', 'all runs'],
        [
          [
            '324-cell matrix, lab verify --path network-policy (s)',
            med(verifies),
            verifies.map((x) => x.toFixed(2)).join(', '),
          ],
          [
            'lab apply of a policy change, whole command (s)',
            med(applies),
            applies.map((x) => x.toFixed(2)).join(', '),
          ],
          ['policy sync on every node (one nft transaction per node, in parallel) (ms)', med(syncs), syncs.join(', ')],
          [`100 policies: render node1's table (pure) (ms)`, renderMs.toFixed(1), '1 run'],
          [
            `100 policies: nft -f of node1's table (${r.rules} rules, ${r.chains.length} chains) (ms)`,
            med(loads),
            loads.map((x) => x.toFixed(0)).join(', '),
          ],
        ],
      ),
    ].join('\n');
  } finally {
    await execa('node', [BIN, 'down', '--name', name], { reject: false });
  }
}
