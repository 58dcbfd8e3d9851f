/**
 * One entry point for the runtime: what to write into a node container and what to run there to
 * bring its service proxy to the desired state, for any of the three modes. Pure: the caller
 * copies `files` in (creating their directories) and runs each `commands` line with `sh -c`,
 * in order, stopping at the first failure. `state` is what to pass back as `prev` next time,
 * which turns the next sync into a partial / incremental one.
 */

import type { LabModel, ProxyMode } from '../model/types';
import type { EndpointSlice } from './endpoints';
import { type IptablesOptions, type IptablesRuleset, buildIptablesRuleset } from './iptables';
import { iptablesRestoreBinary, renderIptablesBootstrap } from './iptables-bootstrap';
import { renderIptablesPartial, serializeIptables } from './iptables-restore';
import { IPVS_JUMPS, renderIpvs } from './ipvs';
import { type UdpAddresses, renderUdpConntrackCleanup, udpAddresses, udpServing, withDeleted } from './conntrack';
import { type NftState, buildNftState } from './nftables';
import { renderNftablesIncremental, serializeNft } from './nftables-text';

export const PROXY_DIR = '/run/k8s-netlab/proxy';

export interface ProxyState {
  mode: ProxyMode;
  iptables?: IptablesRuleset;
  nftables?: NftState;
  /** IPVS mode re-renders everything each sync (ipvsadm -C, ipsets flushed); kept for reports. */
  ipvsAddresses?: string[];
  /** UDP Service IPs and NodePorts of this sync: the next one cleans the flows of deleted ones. */
  udp?: UdpAddresses;
}

export interface ProxyPlan {
  /** Absolute path in the node container -> content. */
  files: Record<string, string>;
  /** Shell lines to run in the node container (`sh -c`), in order. */
  commands: string[];
  /** Pass back as `prev` on the next sync. */
  state: ProxyState;
  /** True when `prev` allowed a partial / incremental sync. */
  partial: boolean;
}

export interface ProxyPlanOptions extends IptablesOptions {
  /** IPVS scheduler; defaults to cluster.ipvsScheduler. */
  scheduler?: string;
}

/** sysctls kube-proxy sets in every mode (it also tries bridge-nf-call-iptables, best effort). */
export const PROXY_SYSCTLS: Record<string, string> = {
  'net.ipv4.ip_forward': '1',
};

/**
 * iptables mode with localhost NodePorts (kube-proxy's default --iptables-localhost-nodeports=true):
 * 127.0.0.1:<nodePort> may be DNAT'd to a pod only with route_localnet. nftables mode does not
 * support localhost NodePorts and leaves it alone (kubernetes v1.29+ nftables proxier).
 */
export const LOCALNET_SYSCTLS: Record<string, string> = {
  'net.ipv4.conf.all.route_localnet': '1',
};

function sysctlCommands(values: Record<string, string>): string[] {
  return Object.entries(values).map(([k, v]) => `sysctl -qw ${k}=${v}`);
}

/** Without br_netfilter, replies between two pods on one cbr0 bypass conntrack and un-DNAT. */
const BRIDGE_NF = 'sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true';

/** IPVS needs the ip_vs kernel module; Docker Desktop / minimal kernels lack it (ipvsadm loads it if it can). */
export const IPVS_PREFLIGHT =
  'ipvsadm -Ln >/dev/null 2>&1 || { echo "IPVS is not available in this kernel (ip_vs); use proxy mode iptables or nftables" >&2; exit 1; }';

export function renderProxyPlan(
  model: LabModel,
  nodeName: string,
  slices: EndpointSlice[],
  mode: ProxyMode = model.cluster.proxy,
  prev?: ProxyState,
  opts: ProxyPlanOptions = {},
): ProxyPlan {
  const plan = renderModePlan(model, nodeName, slices, mode, prev, opts);
  // kube-proxy's housekeeping after the rules are in place, in every mode (src/proxy/conntrack.ts).
  const serving = udpServing(model, nodeName, slices, opts);
  plan.commands.push(...renderUdpConntrackCleanup(withDeleted(serving, prev?.udp)));
  const udp = udpAddresses(serving);
  if (udp.ips.length || udp.nodePorts.length) plan.state.udp = udp;
  return plan;
}

function renderModePlan(
  model: LabModel,
  nodeName: string,
  slices: EndpointSlice[],
  mode: ProxyMode,
  prev: ProxyState | undefined,
  opts: ProxyPlanOptions,
): ProxyPlan {
  const backend = model.cluster.iptablesBackend;
  const restore = iptablesRestoreBinary(backend);
  switch (mode) {
    case 'iptables': {
      const next = buildIptablesRuleset(model, nodeName, slices, opts);
      const partial = prev?.mode === 'iptables' && !!prev.iptables;
      const text = partial
        ? renderIptablesPartial(prev!.iptables!, next, { backend })
        : serializeIptables(next, opts.previousChains ?? [], { backend });
      const file = `${PROXY_DIR}/iptables.rules`;
      return {
        files: { [file]: text },
        commands: [
          ...sysctlCommands(
            opts.localhostNodePorts === false ? PROXY_SYSCTLS : { ...PROXY_SYSCTLS, ...LOCALNET_SYSCTLS },
          ),
          BRIDGE_NF,
          `${restore} -w --noflush ${file}`,
          ...renderIptablesBootstrap(backend),
        ],
        state: { mode, iptables: next },
        partial,
      };
    }
    case 'nftables': {
      const next = buildNftState(model, nodeName, slices, opts);
      const partial = prev?.mode === 'nftables' && !!prev.nftables;
      const text = partial ? renderNftablesIncremental(prev!.nftables!, next) : serializeNft(next);
      const file = `${PROXY_DIR}/nftables.nft`;
      const commands = [...sysctlCommands(PROXY_SYSCTLS), BRIDGE_NF];
      // An empty incremental file means nothing changed: nothing to run.
      if (text) commands.push(`nft -f ${file}`);
      return { files: text ? { [file]: text } : {}, commands, state: { mode, nftables: next }, partial };
    }
    case 'ipvs': {
      const r = renderIpvs(model, nodeName, slices, opts.scheduler ?? model.cluster.ipvsScheduler, opts);
      const files = {
        [`${PROXY_DIR}/ipset.restore`]: r.ipset,
        [`${PROXY_DIR}/iptables.rules`]: r.iptables,
        [`${PROXY_DIR}/ipvs.rules`]: r.ipvsadm,
      };
      return {
        files,
        commands: [
          IPVS_PREFLIGHT,
          ...sysctlCommands({ ...PROXY_SYSCTLS, ...r.sysctls }),
          BRIDGE_NF,
          // Sets first: the iptables rules reference them by name.
          `ipset restore -exist < ${PROXY_DIR}/ipset.restore`,
          `${restore} -w --noflush ${PROXY_DIR}/iptables.rules`,
          ...renderIptablesBootstrap(backend, IPVS_JUMPS),
          `ipvsadm-restore < ${PROXY_DIR}/ipvs.rules`,
          ...r.linkCommands,
        ],
        state: { mode, ipvsAddresses: r.addresses },
        partial: false,
      };
    }
  }
}
