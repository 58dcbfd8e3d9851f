/** What the host kernel lets a lab container do (measured by src/runtime/kernel.ts), and what each mode needs. */
export interface KernelFeatures {
  veth: boolean;
  bridge: boolean;
  vxlan: boolean;
  dummy: boolean;
  nftables: boolean;
  /** iptables-nft can list nat and load the matches/targets kube-proxy renders. */
  iptablesNft: boolean;
  iptablesLegacy: boolean;
  /** IP_VS: /proc/net/ip_vs exists and ipvsadm talks to it. */
  ipvs: boolean;
  /** ip_set: kube-proxy's ipvs mode keeps its address sets there. */
  ipset: boolean;
  conntrack: boolean;
  /** Why a feature failed (its first error line), plus `kernel` (uname -r). */
  details: Record<string, string>;
}

export type FeatureName = Exclude<keyof KernelFeatures, 'details'>;

export interface ModeRequirement {
  /** `cni <mode>` or `proxy <mode>[ (<backend>)]`. */
  mode: string;
  ok: boolean;
  missing: FeatureName[];
}
