/**
 * What the host kernel lets a lab container do, measured, not guessed: one short-lived helper
 * container of the lab image tries each feature in its own network namespace. The script,
 * its parser and the mode table are pure; only probeLab/probeKernel touch the engine.
 */
import { PassThrough } from 'stream';
import { randomBytes } from 'crypto';
import { docker } from './docker';
import { securityHostConfig, trackCreation } from './containers';
import { privilegesFor } from '../plan/security';
import { EngineError } from '../errors';
import { LABEL_LAB, LABEL_ROLE } from '../model/types';
import type { FeatureName, KernelFeatures, ModeRequirement } from '../model/kernel';

// Defined in the model so that `lab doctor`'s pure report names them without importing the runtime.
export type { FeatureName, KernelFeatures, ModeRequirement };

export const FEATURES: FeatureName[] = [
  'veth',
  'bridge',
  'vxlan',
  'dummy',
  'nftables',
  'iptablesNft',
  'iptablesLegacy',
  'ipvs',
  'ipset',
  'conntrack',
];

/** Kernel options/modules each feature needs, for the doctor's advice. */
export const FEATURE_NEEDS: Record<FeatureName, string> = {
  veth: 'CONFIG_VETH (module veth)',
  bridge: 'CONFIG_BRIDGE (module bridge)',
  vxlan: 'CONFIG_VXLAN (module vxlan)',
  dummy: 'CONFIG_DUMMY (module dummy)',
  nftables: 'CONFIG_NF_TABLES (module nf_tables)',
  iptablesNft:
    'CONFIG_NF_TABLES + CONFIG_NFT_COMPAT and xt_statistic, xt_recent, xt_comment, xt_conntrack, xt_addrtype, xt_mark',
  iptablesLegacy: 'CONFIG_IP_NF_IPTABLES, CONFIG_IP_NF_NAT and the same xt_* matches',
  ipvs: 'CONFIG_IP_VS (modules ip_vs, ip_vs_rr, ip_vs_wrr, ip_vs_sh)',
  ipset: 'CONFIG_IP_SET (modules ip_set, ip_set_hash_ip, ip_set_hash_ipport)',
  conntrack: 'CONFIG_NF_CONNTRACK + CONFIG_NF_CT_NETLINK (module nf_conntrack_netlink)',
};

/** Tools the lab image must hold; each is `name -> shell test`. */
export const IMAGE_TOOLS: Record<string, string> = {
  ip: 'ip -V',
  'iptables-legacy': 'iptables-legacy -V',
  'iptables-nft': 'iptables-nft -V',
  nft: 'nft -v',
  // ipvsadm -v needs IP_VS in the kernel; presence is what the image owes.
  ipvsadm: 'command -v ipvsadm',
  ipset: 'command -v ipset',
  tcpdump: 'tcpdump --version',
  curl: 'curl -V',
  ping: 'ping -V',
  dig: 'dig -v',
  conntrack: 'conntrack -V',
  busybox: 'busybox true',
  socat: 'socat -V',
  ps: 'ps --version',
  python3: "python3 -c 'import http.server, socketserver'",
  netexec: 'netexec --help',
  nginx: 'command -v nginx',
  knotd: 'command -v knotd',
  dnsmasq: 'command -v dnsmasq',
  // The offline DNS fallback, its reload, and what the dns bench and the lab's scripts run.
  knotc: 'knotc --version',
  unbound: 'unbound -V',
  dnsperf: 'command -v dnsperf',
  flock: 'flock -V',
  nsenter: 'nsenter -V',
  setsid: 'command -v setsid',
  timeout: 'timeout --version',
  sysctl: 'sysctl -V',
  ethtool: 'ethtool --version',
  // The reference CNI plugins kubelet's part calls (Debian's containernetworking-plugins, /usr/lib/cni)
  // (images/cni/cni-exec.py, which calls them, is copied into each node at lab up).
  'cni-bridge': 'test -x /usr/lib/cni/bridge',
  'cni-host-local': 'test -x /usr/lib/cni/host-local',
  'cni-loopback': 'test -x /usr/lib/cni/loopback',
  'cni-portmap': 'test -x /usr/lib/cni/portmap',
  'cni-ptp': 'test -x /usr/lib/cni/ptp',
};

/** Shell commands per feature; each runs in the helper's own (network mode none) namespace. */
const FEATURE_TESTS: Record<FeatureName, string> = {
  veth: 'ip link add t0 type veth peer name t1 && ip link del t0',
  bridge: 'ip link add b0 type bridge && ip link del b0',
  vxlan: 'ip link add x0 type vxlan id 1 dstport 8472 local 127.0.0.1 dev lo && ip link del x0',
  dummy: 'ip link add d0 type dummy && ip link del d0',
  nftables: 'nft add table ip k8s_netlab_probe && nft delete table ip k8s_netlab_probe',
  iptablesNft: iptablesTest('iptables-nft'),
  iptablesLegacy: iptablesTest('iptables-legacy'),
  ipvs: '{ test -e /proc/net/ip_vs || { echo "no /proc/net/ip_vs (kernel lacks IP_VS)"; exit 1; }; } && ipvsadm -Ln',
  ipset: 'ipset create KUBE-PROBE hash:ip,port && ipset destroy KUBE-PROBE',
  conntrack: 'conntrack -L',
};

/** Lists nat, then loads the matches and targets kube-proxy's iptables rules use. */
function iptablesTest(bin: string): string {
  const c = 'KUBE-PROBE';
  return [
    `${bin} -t nat -L -n >/dev/null`,
    `${bin} -t nat -N ${c}`,
    `${bin} -t nat -A ${c} -p tcp -m comment --comment probe -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.0.0.1:80`,
    `${bin} -t nat -A ${c} -m recent --name probe --set -j MARK --set-xmark 0x4000/0x4000`,
    `${bin} -t nat -A ${c} -m conntrack --ctstate DNAT -m addrtype --dst-type LOCAL -j MASQUERADE`,
    `${bin} -t nat -F ${c}`,
    `${bin} -t nat -X ${c}`,
  ].join(' && ');
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The helper's script: prints `feature=yes|no`, `detail.feature=<first error>`, `tool.name=yes|no`.
 * `tools: false` leaves out the image's tool check (about half the run): lab up's preflight needs
 * only the kernel's features; `lab doctor` checks the tools.
 */
export function renderProbeScript(opts: { tools?: boolean } = {}): string {
  const lines = [
    "# k8s-netlab kernel probe: each test in this container's own network namespace",
    't() { k=$1; shift; if out=$(sh -c "$1" 2>&1); then echo "$k=yes"; else echo "$k=no";',
    "  printf 'detail.%s=%s\\n' \"$k\" \"$(printf '%s' \"$out\" | tr '\\n' ' ' | cut -c1-200)\"; fi; }",
    'tool() { if sh -c "$2" >/dev/null 2>&1; then echo "tool.$1=yes"; else echo "tool.$1=no"; fi; }',
  ];
  for (const f of FEATURES) lines.push(`t ${f} ${shQuote(FEATURE_TESTS[f])}`);
  if (opts.tools !== false)
    for (const [name, test] of Object.entries(IMAGE_TOOLS)) lines.push(`tool ${name} ${shQuote(test)}`);
  lines.push('echo "detail.kernel=$(uname -r)"');
  return lines.join('\n') + '\n';
}

export interface ProbeResult {
  features: KernelFeatures;
  /** Image tool -> present and answering. */
  tools: Record<string, boolean>;
}

/** Parses the helper's key=value output; a feature the output does not mention counts as missing. */
export function parseProbeOutput(text: string): ProbeResult {
  const features = { details: {} } as KernelFeatures;
  for (const f of FEATURES) features[f] = false;
  const seen = new Set<string>();
  const tools: Record<string, boolean> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1);
    if (key.startsWith('detail.')) {
      features.details[key.slice(7)] = value.trim();
    } else if (key.startsWith('tool.')) {
      tools[key.slice(5)] = value.trim() === 'yes';
    } else if ((FEATURES as string[]).includes(key)) {
      features[key as FeatureName] = value.trim() === 'yes';
      seen.add(key);
    }
  }
  for (const f of FEATURES) {
    if (!seen.has(f) && !features.details[f]) features.details[f] = 'not reported by the probe';
  }
  return { features, tools };
}

const MODE_NEEDS: Array<[string, FeatureName[]]> = [
  ['cni vpc-routes', ['veth', 'bridge']],
  ['cni host-gw', ['veth', 'bridge']],
  ['cni vxlan', ['veth', 'bridge', 'vxlan']],
  ['cni vpc-native', ['veth']],
  ['proxy iptables (nft)', ['iptablesNft', 'conntrack']],
  ['proxy iptables (legacy)', ['iptablesLegacy', 'conntrack']],
  ['proxy nftables', ['nftables', 'conntrack']],
  // kube-ipvs0 is a dummy device holding the VIPs; ipsets hold the masquerade/filter sets.
  ['proxy ipvs', ['ipvs', 'dummy', 'ipset', 'conntrack']],
];

/** Which CNI and proxy modes the measured kernel supports, and what each unsupported one lacks. */
export function modeRequirements(features: KernelFeatures): ModeRequirement[] {
  return MODE_NEEDS.map(([mode, needs]) => {
    const missing = needs.filter((f) => !features[f]);
    return { mode, ok: missing.length === 0, missing };
  });
}

const PROBE_TIMEOUT_MS = 60_000;

/** Runs the probe helper once and returns kernel features and the image's tool check (unless `tools: false`). */
export async function probeLab(
  image: string,
  lab = 'kernel-probe',
  opts: { tools?: boolean } = {},
): Promise<ProbeResult> {
  const d = docker();
  const name = `k8s-netlab-kernel-probe-${process.pid}-${randomBytes(3).toString('hex')}`;
  let c;
  try {
    c = await trackCreation(name, () =>
      d.createContainer({
        name,
        Image: image,
        Cmd: ['sh', '-c', renderProbeScript(opts)],
        // A lab's preflight labels it with the lab, so an interrupt or `lab down` removes it.
        Labels: { [LABEL_LAB]: lab, [LABEL_ROLE]: 'helper' },
        NetworkDisabled: false,
        HostConfig: {
          NetworkMode: 'none',
          // What the lab's routers have (NET_ADMIN over its own namespace), nothing more.
          ...securityHostConfig(privilegesFor('vpc')),
          AutoRemove: true,
        },
      }),
    );
  } catch (err) {
    throw new EngineError(`could not create the kernel probe helper from ${image}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (b: Buffer) => chunks.push(b));
  const stream = await c.attach({ stream: true, stdout: true, stderr: true });
  d.modem.demuxStream(stream, out, out);
  const ended = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
  });
  // Wait for removal (AutoRemove) registered before start, so the exit can't be missed.
  const removed = c.wait({ condition: 'removed' });
  // Should the start fail (an interrupt removed the helper), this wait must not become an unhandled rejection.
  removed.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    await c.start();
    await Promise.race([
      Promise.all([removed, ended]),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new EngineError(`kernel probe helper ${name} did not finish in 60 s`)),
          PROBE_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (err) {
    await c.remove({ force: true }).catch(() => undefined);
    if (err instanceof EngineError) throw err;
    throw new EngineError(`kernel probe helper failed: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
  return parseProbeOutput(Buffer.concat(chunks).toString('utf8'));
}

/** The kernel features a lab container can use on this host (the image's tools unchecked). */
export async function probeKernel(image: string, lab?: string): Promise<KernelFeatures> {
  return (await probeLab(image, lab, { tools: false })).features;
}
