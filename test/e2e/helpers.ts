/** End-to-end helpers: run the real CLI as a user would, and read the host's network state. */
import * as path from 'path';
import execa from 'execa';
import Docker from 'dockerode';

export const ROOT = path.resolve(__dirname, '..', '..');
export const LAB_BIN = path.join(ROOT, 'bin', 'lab.js');
export const GUIDE = path.join(ROOT, 'topologies', 'guide.yaml');

export interface LabRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function lab(args: string[], opts: { timeout?: number } = {}): Promise<LabRun> {
  const r = await execa('node', [LAB_BIN, ...args], { reject: false, timeout: opts.timeout ?? 300_000, cwd: ROOT });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

export async function labContainers(name: string): Promise<string[]> {
  const list = await new Docker().listContainers({ all: true, filters: { label: [`k8s-netlab.lab=${name}`] } });
  return list.map((c) => c.Names[0]);
}

async function sh(cmd: string): Promise<string> {
  const r = await execa('sh', ['-c', cmd], { reject: false });
  return `${cmd}\n${r.stdout}\n${r.stderr}`;
}

/**
 * The host's netfilter, routes, links and sysctls as text. Counters are dropped (traffic on the
 * host's own interfaces moves them), so equal text means nothing was added, changed or removed.
 */
export async function hostNetworkState(): Promise<string> {
  const parts = await Promise.all([
    sh("iptables-save 2>/dev/null | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'"),
    sh("iptables-legacy-save 2>/dev/null | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'"),
    sh('nft list ruleset 2>/dev/null'),
    sh('ip -o link show | sed "s/ qlen.*//"'),
    sh('ip -o addr show'),
    sh('ip route show table all'),
    sh('ip rule show'),
    sh(
      "sysctl -a 2>/dev/null | grep -E '^net\\.(ipv4\\.(ip_forward|conf\\.(all|default)\\.)|ipv6\\.conf\\.(all|default)\\.|bridge\\.)' | sort",
    ),
  ]);
  return parts.join('\n');
}

/**
 * An e2e lab name, with K8S_NETLAB_E2E_PREFIX in front when set, so that several checkouts can run
 * their end-to-end tests on one Docker engine at once without touching each other's labs.
 */
export function labName(name: string): string {
  return `${process.env.K8S_NETLAB_E2E_PREFIX ?? ''}${name}`;
}

/** Each FAIL of lab verify's table with the lines under it (observed, expected, why), trimmed, one string per probe. */
export function failingProbes(out: string): string[] {
  const lines = out.split('\n');
  return lines.flatMap((l, i) => {
    if (!/^\s+FAIL\s/.test(l)) return [];
    const under = lines.slice(i + 1).findIndex((x) => !/^\s{8}(observed|expected|why): /.test(x));
    return [
      lines
        .slice(i, i + 1 + (under < 0 ? lines.length : under))
        .map((x) => x.trim())
        .join('\n'),
    ];
  });
}
