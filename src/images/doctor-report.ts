/** What `lab doctor` found, and its text rendering (pure, so it is unit-tested without an engine). */
import type { FeatureName, KernelFeatures, ModeRequirement } from '../model/kernel';

export interface DoctorReport {
  engine: { reachable: boolean; where: string; version?: string; apiVersion?: string; error?: string };
  image: {
    tag: string;
    present: boolean;
    sizeBytes?: number;
    /** Tool -> answers, when the image (or the one probed) was run. */
    tools?: Record<string, boolean>;
    /** The image the kernel was probed with, if not `tag` (an older lab image). */
    probedWith?: string;
  };
  /** The CoreDNS image labs would run (looked for, neither pulled nor built): its tag, or why none. */
  coredns?: { image?: string; reason: string };
  kernel?: { features: KernelFeatures; modes: ModeRequirement[] };
  /** Why the kernel was not probed. */
  kernelSkipped?: string;
}

const FEATURE_LABEL: Record<FeatureName, string> = {
  veth: 'veth',
  bridge: 'bridge',
  vxlan: 'vxlan',
  dummy: 'dummy',
  nftables: 'nftables',
  iptablesNft: 'iptables (nft)',
  iptablesLegacy: 'iptables (legacy)',
  ipvs: 'ipvs',
  ipset: 'ipset',
  conntrack: 'conntrack',
};

function pad(s: string, n: number): string {
  return s.length >= n ? s + ' ' : s + ' '.repeat(n - s.length);
}

/** Renders the report; `needs` maps a feature to the kernel option/module it needs. */
export function formatDoctorReport(
  r: DoctorReport,
  featureOrder: FeatureName[],
  needs: Record<FeatureName, string>,
): string {
  const out: string[] = [];
  if (r.engine.reachable) {
    out.push(`engine   Docker ${r.engine.version ?? '?'} (API ${r.engine.apiVersion ?? '?'}) at ${r.engine.where}`);
  } else {
    out.push(`engine   UNREACHABLE at ${r.engine.where}${r.engine.error ? `: ${r.engine.error}` : ''}`);
    out.push('         fix: start one (Debian/Ubuntu, as root: ./scripts/setup-docker.sh) or set DOCKER_HOST');
    return out.join('\n');
  }

  const size = r.image.sizeBytes !== undefined ? ` (${Math.round(r.image.sizeBytes / 1e6)} MB)` : '';
  out.push(
    `image    ${r.image.tag} ${r.image.present ? `present${size}` : 'not built: `lab images build` builds it (about a minute)'}`,
  );
  if (r.image.probedWith) out.push(`         (probed with the older lab image ${r.image.probedWith})`);
  if (r.image.tools) {
    const missing = Object.entries(r.image.tools)
      .filter(([, ok]) => !ok)
      .map(([t]) => t);
    const n = Object.keys(r.image.tools).length;
    out.push(
      missing.length === 0
        ? `tools    all ${n} answer`
        : `tools    MISSING ${missing.join(', ')} (of ${n}); rebuild the image`,
    );
  }
  if (r.coredns)
    out.push(
      r.coredns.image
        ? `coredns  ${r.coredns.image} present`
        : `coredns  no image present (${r.coredns.reason}); \`lab images build\` pulls or builds one, else labs use the offline DNS fallback`,
    );

  if (!r.kernel) {
    out.push(`kernel   not probed: ${r.kernelSkipped ?? 'unknown reason'}`);
    return out.join('\n');
  }
  const f = r.kernel.features;
  out.push(`kernel   ${f.details.kernel ?? '?'} (measured in a helper container)`);
  for (const name of featureOrder) {
    const ok = f[name];
    const why = ok ? '' : `  ${f.details[name] ?? ''}${f.details[name] ? '; ' : ''}needs ${needs[name]}`;
    out.push(`  ${pad(FEATURE_LABEL[name], 18)}${ok ? 'yes' : 'NO '}${why}`);
  }
  out.push('modes');
  for (const m of r.kernel.modes) {
    out.push(
      `  ${pad(m.mode, 24)}${m.ok ? 'ok' : `unavailable: needs ${m.missing.map((x) => FEATURE_LABEL[x]).join(', ')}`}`,
    );
  }
  const bad = r.kernel.modes.filter((m) => !m.ok).length;
  out.push(
    bad === 0
      ? 'all modes work on this host'
      : `${r.kernel.modes.length - bad} of ${r.kernel.modes.length} modes work on this host`,
  );
  return out.join('\n');
}
