/**
 * Checks, before anything is created, that this kernel has what the lab's modes need, and fails
 * naming what is missing and what would work instead.
 */
import { LabModel } from '../model/types';
import { InputError } from '../errors';
import type { KernelFeatures } from '../runtime/kernel';
import { cacheDir, currentKey, readCachedFeatures, storeFeatures } from './kernel-cache';

export interface Requirement {
  feature: keyof KernelFeatures;
  what: string;
}

/** What the model's proxy and CNI modes need from the kernel; pure. */
export function requirements(
  model: LabModel,
): Array<{ field: string; value: string; needs: Requirement[]; instead: string }> {
  const c = model.cluster;
  const out: Array<{ field: string; value: string; needs: Requirement[]; instead: string }> = [
    {
      field: 'cluster.cni',
      value: c.cni,
      needs: [
        { feature: 'veth', what: 'veth' },
        { feature: 'bridge', what: 'bridge' },
      ],
      instead: 'no mode works without veth and bridge',
    },
  ];
  if (c.cni === 'vxlan')
    out.push({
      field: 'cluster.cni',
      value: 'vxlan',
      needs: [{ feature: 'vxlan', what: 'VXLAN links (CONFIG_VXLAN)' }],
      instead: 'use --cni host-gw or vpc-routes',
    });
  if (c.proxy === 'ipvs') {
    out.push({
      field: 'cluster.proxy',
      value: 'ipvs',
      needs: [
        { feature: 'ipvs', what: 'IP_VS (the ip_vs module)' },
        { feature: 'dummy', what: 'the dummy link (CONFIG_DUMMY, for kube-ipvs0)' },
      ],
      instead: 'use --proxy nftables (or iptables)',
    });
  }
  if (c.proxy === 'nftables')
    out.push({
      field: 'cluster.proxy',
      value: 'nftables',
      needs: [{ feature: 'nftables', what: 'nf_tables' }],
      instead: 'use --proxy iptables',
    });
  if (c.proxy === 'iptables' || c.proxy === 'ipvs') {
    const legacy = c.iptablesBackend === 'legacy';
    out.push({
      field: 'cluster.iptablesBackend',
      value: c.iptablesBackend,
      needs: [
        {
          feature: legacy ? 'iptablesLegacy' : 'iptablesNft',
          what: legacy ? 'legacy iptables (ip_tables)' : 'iptables over nf_tables',
        },
      ],
      instead: `use --iptables-backend ${legacy ? 'nft' : 'legacy'}`,
    });
  }
  return out;
}

/** Whether the features hold everything the model's modes need; pure. */
export function coversModel(model: LabModel, f: KernelFeatures): boolean {
  return requirements(model).every((r) => r.needs.every((n) => f[n.feature] === true));
}

/** Throws an InputError (exit 2) naming every missing feature; pure given the measured features. */
export function checkFeatures(model: LabModel, f: KernelFeatures): void {
  for (const r of requirements(model)) {
    const missing = r.needs.filter((n) => !f[n.feature]);
    if (missing.length) {
      throw new InputError(
        `${r.value} mode needs ${missing.map((m) => m.what).join(' and ')}, which this kernel lacks`,
        {
          field: r.field,
          hint: r.instead,
        },
      );
    }
  }
}

/**
 * Checks the kernel for the model's modes: from the cache when an earlier probe under the same key
 * found every needed feature present (src/lab/kernel-cache.ts), else by a probe, whose result is
 * stored. Returns how it knew, for the log.
 */
export async function preflight(
  model: LabModel,
  image: string,
  log: (m: string) => void = () => undefined,
): Promise<'cached' | 'probed'> {
  const key = currentKey(image);
  const cached = key && readCachedFeatures(key);
  if (cached && coversModel(model, cached)) {
    log(`preflight: the kernel has what the lab needs (probed earlier this boot, cached in ${cacheDir()})`);
    return 'cached';
  }
  log('preflight: probing the kernel from a helper container');
  const { probeKernel } = await import('../runtime/kernel');
  const features = await probeKernel(image, model.name);
  if (key) {
    try {
      storeFeatures(key, features);
    } catch {
      // A cache that cannot be written (read-only home) only means the next lab up probes again.
    }
  }
  checkFeatures(model, features);
  return 'probed';
}
