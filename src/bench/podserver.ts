/**
 * Pod server memory: the guide lab comes up (through the CLI, no verify), and every node reports
 * /proc/<pid>/smaps_rollup of each pod container's process (its pid file, as the kubelet part
 * watches it): RSS, PSS (shared pages divided among the processes that map them) and the
 * anonymous part. One round per image: the recipe's image, and BENCH_PODSERVER_BEFORE (an older
 * lab image, e.g. one whose /usr/local/bin/netexec is the Python server) for a comparison.
 */
import * as path from 'path';
import execa from 'execa';
import { mdTable } from './report';
import { RUN_DIR } from '../plan/node';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');

/** One pod container's process as the node saw it. */
export interface ServerMemory {
  node: string;
  pidFile: string;
  /** What runs: /proc/<pid>/exe (a script shows its interpreter). */
  exe: string;
  rssKb: number;
  pssKb: number;
  pssAnonKb: number;
}

/** Script run in a node: one line per pod container process, `<pid file> <exe> <Rss> <Pss> <Pss_Anon>` (kB). */
export function renderServerMemory(): string {
  return (
    `for f in ${RUN_DIR}/pods/*/*.pid; do [ -e "$f" ] || continue; p=$(cat "$f"); ` +
    `[ -r /proc/$p/smaps_rollup ] || continue; ` +
    `echo "$f $(readlink /proc/$p/exe) $(awk '/^Rss:/{r=$2} /^Pss:/{p=$2} /^Pss_Anon:/{a=$2} END{print r+0, p+0, a+0}' /proc/$p/smaps_rollup)"; done`
  );
}

export function parseServerMemory(node: string, out: string): ServerMemory[] {
  const res: ServerMemory[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\S+\.pid) (\S+) (\d+) (\d+) (\d+)$/.exec(line.trim());
    if (m) res.push({ node, pidFile: m[1], exe: m[2], rssKb: +m[3], pssKb: +m[4], pssAnonKb: +m[5] });
  }
  return res;
}

/** The netexec processes only (not DNS pods' servers): the image's /usr/local/bin/netexec or its interpreter. */
export function netexecRows(all: ServerMemory[]): ServerMemory[] {
  return all.filter((s) => s.exe === '/usr/local/bin/netexec' || /\/python3(\.\d+)?$/.test(s.exe));
}

export interface MemorySummary {
  server: string;
  processes: number;
  rssMeanKb: number;
  rssMaxKb: number;
  pssMeanKb: number;
  pssAnonMeanKb: number;
  pssTotalKb: number;
}

export function summarize(rows: ServerMemory[]): MemorySummary {
  if (rows.length === 0) throw new Error('no pod server process was observed (no pid file with a live process)');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const exes = [...new Set(rows.map((r) => r.exe))];
  return {
    server: exes.map((e) => (e === '/usr/local/bin/netexec' ? 'netexec (C, static)' : `netexec.py (${e})`)).join(', '),
    processes: rows.length,
    rssMeanKb: mean(rows.map((r) => r.rssKb)),
    rssMaxKb: Math.max(...rows.map((r) => r.rssKb)),
    pssMeanKb: mean(rows.map((r) => r.pssKb)),
    pssAnonMeanKb: mean(rows.map((r) => r.pssAnonKb)),
    pssTotalKb: rows.reduce((a, r) => a + r.pssKb, 0),
  };
}

async function cli(args: string[], image?: string): Promise<string> {
  const env = image ? { ...process.env, K8S_NETLAB_NODE_IMAGE: image } : process.env;
  const r = await execa('node', [BIN, ...args], { reject: false, cwd: ROOT, env });
  if (r.exitCode !== 0) throw new Error(`lab ${args.join(' ')} failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function measure(lab: string, image?: string): Promise<{ image: string; summary: MemorySummary }> {
  await execa('node', [BIN, 'down', '--name', lab], { reject: false, cwd: ROOT });
  await cli(['up', '-t', 'topologies/guide.yaml', '--name', lab, '--no-verify'], image);
  try {
    const nodes = (
      await execa('docker', [
        'ps',
        '--filter',
        `label=k8s-netlab.lab=${lab}`,
        '--filter',
        'label=k8s-netlab.role=node',
        '--format',
        '{{.Label "k8s-netlab.node"}} {{.Names}} {{.Image}}',
      ])
    ).stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' '));
    const rows: ServerMemory[] = [];
    for (const [node, container] of nodes) {
      const out = (await execa('docker', ['exec', container, 'sh', '-c', renderServerMemory()])).stdout;
      rows.push(...parseServerMemory(node, out));
    }
    return { image: nodes[0]?.[2] ?? image ?? '?', summary: summarize(netexecRows(rows)) };
  } finally {
    await execa('node', [BIN, 'down', '--name', lab], { reject: false, cwd: ROOT });
  }
}

export async function benchPodServer(): Promise<string> {
  const lab = `${process.env.K8S_NETLAB_E2E_PREFIX ?? ''}bench-podserver`;
  const before = process.env.BENCH_PODSERVER_BEFORE?.trim();
  const rounds = [...(before ? [await measure(lab, before)] : []), await measure(lab)];
  const mb = (kb: number) => (kb / 1024).toFixed(2);
  const rows = rounds.map(({ image, summary: s }) => [
    s.server,
    image,
    s.processes,
    mb(s.rssMeanKb),
    mb(s.rssMaxKb),
    mb(s.pssMeanKb),
    mb(s.pssAnonMeanKb),
    ((s.pssMeanKb * 1000) / 1024 / 1024).toFixed(2),
  ]);
  return (
    'Guide lab (`topologies/guide.yaml`), every pod container process read from its node: `/proc/<pid>/smaps_rollup` ' +
    'of the pid the kubelet part watches. RSS counts every resident page the process maps; PSS divides shared pages ' +
    'among the processes mapping them (the static binary is one file of the image, so its pages are shared by every ' +
    'pod of every node and PSS falls as pods are added); Pss_Anon is what each pod alone costs. ' +
    (before
      ? `The first row is BENCH_PODSERVER_BEFORE=${before}, an older lab image.`
      : 'Set BENCH_PODSERVER_BEFORE=<older lab image> to measure another server in the same run.') +
    '\n\n' +
    mdTable(
      [
        'server',
        'image',
        'processes',
        'RSS mean (MB)',
        'RSS max (MB)',
        'PSS mean (MB)',
        'Pss_Anon mean (MB)',
        '1,000 pods at PSS mean (GB)',
      ],
      rows,
    ) +
    '\n\nBudget (issue 15): at most 2 MB RSS per pod.'
  );
}
