/**
 * kube-proxy's iptables mode as pure text: the iptables-restore input one node needs, laid out
 * like pkg/proxy/iptables/proxier.go syncProxyRules (same chain names, rule order, comments).
 *
 * Re-apply scheme (why the base-chain jumps are separate): the restore file only declares KUBE-*
 * chains. With `iptables-restore --noflush` a declared chain (`:KUBE-X - [0:0]`) is flushed and
 * rewritten, every other chain (PREROUTING, INPUT, Docker's, the CNI's) is left alone. The jumps
 * from the base chains into KUBE-* therefore cannot live in the file without being appended again
 * on every sync, so renderIptablesBootstrap() (iptables-bootstrap.ts) emits them as
 * check-then-insert commands (`-C ... || -I ...`), which is what kube-proxy's EnsureRule does each
 * sync.
 */

import type { LabModel } from '../model/types';
import type { Endpoint, EndpointSlice } from './endpoints';
import { KUBE_EXT, KUBE_FW, KUBE_SVC, KUBE_SVL, servicePortChainName, servicePortEndpointChainName } from './hash';
import {
  MASQ_MARK,
  type ProxyOptions,
  type ServicePortInfo,
  chainUse,
  cidrContains,
  findNode,
  servicePortInfos,
} from './service-ports';

export interface IptablesOptions extends ProxyOptions {
  /** Add --random-fully to the MASQUERADE rule (kube-proxy does when iptables supports it). */
  randomFully?: boolean;
  /** Above this many endpoints kube-proxy drops per-endpoint comments (largeClusterEndpointsThreshold). */
  largeClusterEndpointsThreshold?: number;
  /** Chains present after the previous sync; stale KUBE-SVC/SVL/EXT/FW/SEP chains among them are deleted. */
  previousChains?: Iterable<string>;
  /**
   * --iptables-localhost-nodeports (default true): NodePorts answer on 127.0.0.0/8 too, which needs
   * route_localnet=1 (PROXY_LOCALNET_SYSCTLS) and the KUBE-FIREWALL martian rule. False writes
   * `! -d 127.0.0.0/8` on the NodePort jump instead. kubernetes v1.26+ pkg/proxy/iptables/proxier.go.
   */
  localhostNodePorts?: boolean;
}

/** Rule lines ("-A CHAIN ...") per chain, chains in declaration order. Plain data: JSON-safe. */
export type IptablesChains = Record<string, string[]>;

export interface IptablesRuleset {
  filter: IptablesChains;
  nat: IptablesChains;
}

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
/** kubelet's anti-martian chain, duplicated by kube-proxy (kubeletFirewallChain) when it sets route_localnet. */
export const KUBE_FIREWALL = 'KUBE-FIREWALL';

/** "%0.10f" of 1/n, as kube-proxy's probability(). */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

function quoted(s: string): string {
  return s.includes(' ') ? `"${s}"` : s;
}

class Chains {
  readonly chains: IptablesChains = {};
  declare(name: string): void {
    if (!this.chains[name]) this.chains[name] = [];
  }
  add(chain: string, ...args: (string | number)[]): void {
    this.declare(chain);
    this.chains[chain].push(['-A', chain, ...args].join(' '));
  }
}

/** Builds the desired KUBE-* chains of one node. */
export function buildIptablesRuleset(
  model: LabModel,
  nodeName: string,
  slices: EndpointSlice[],
  opts: IptablesOptions = {},
): IptablesRuleset {
  const node = findNode(model, nodeName);
  const podCIDR = model.cluster.podCIDR;
  const infos = servicePortInfos(model, nodeName, slices, opts);
  const filter = new Chains();
  const nat = new Chains();
  for (const c of [KUBE_NODEPORTS, KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_PROXY_FIREWALL])
    filter.declare(c);
  for (const c of [KUBE_NODEPORTS, KUBE_SERVICES, KUBE_MARK_MASQ, KUBE_POSTROUTING]) nat.declare(c);
  const localhostNodePorts = opts.localhostNodePorts ?? true;
  if (localhostNodePorts) {
    // route_localnet lets 127.0.0.1:<nodePort> be DNAT'd off the node; this rule closes the hole it
    // opens (kubernetes#90259): nothing from outside may reach 127/8 unless conntrack DNAT'd it.
    filter.add(
      KUBE_FIREWALL,
      '-m comment --comment "block incoming localnet connections"',
      '-d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    );
  }

  const totalEndpoints = infos.reduce((n, i) => n + i.reachableEndpoints.length, 0);
  const large = totalEndpoints > (opts.largeClusterEndpointsThreshold ?? 1000);
  // appendServiceCommentLocked: per-endpoint comments go when the cluster is large.
  const svcComment = (c: string): string[] => (large ? [] : ['-m', 'comment', '--comment', quoted(c)]);

  for (const info of infos) writeServicePort(info, node.ip, podCIDR, filter, nat, svcComment, opts);

  // Must stay last: NodePorts are matched after every service IP.
  nat.add(
    KUBE_SERVICES,
    '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"',
    '-m addrtype --dst-type LOCAL',
    ...(localhostNodePorts ? [] : ['! -d 127.0.0.0/8']),
    '-j',
    KUBE_NODEPORTS,
  );
  filter.add(KUBE_FORWARD, '-m conntrack --ctstate INVALID -j DROP');
  filter.add(
    KUBE_FORWARD,
    '-m comment --comment "kubernetes forwarding rules"',
    `-m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
  );
  filter.add(
    KUBE_FORWARD,
    '-m comment --comment "kubernetes forwarding conntrack rule"',
    '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );
  nat.add(KUBE_MARK_MASQ, `-j MARK --or-mark ${MASQ_MARK}`);
  nat.add(KUBE_POSTROUTING, `-m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`);
  // The mark must not survive: a re-routed packet (e.g. into a VXLAN tunnel) would be SNAT'd again.
  nat.add(KUBE_POSTROUTING, `-j MARK --xor-mark ${MASQ_MARK}`);
  nat.add(
    KUBE_POSTROUTING,
    '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE' +
      (opts.randomFully === false ? '' : ' --random-fully'),
  );
  return { filter: filter.chains, nat: nat.chains };
}

/**
 * One service port's rules, in the order of the per-service block of syncProxyRules
 * (pkg/proxy/iptables/proxier.go): capture rules in KUBE-SERVICES/KUBE-NODEPORTS, then the
 * SVC/SVL/EXT/FW chains, then the SEP chains. Long (about 265 lines) on purpose: it reads side by
 * side with upstream, and the parts share a dozen derived values (chain names, filters).
 */
function writeServicePort(
  info: ServicePortInfo,
  nodeIP: string,
  podCIDR: string,
  filter: Chains,
  nat: Chains,
  svcComment: (c: string) => string[],
  opts: IptablesOptions,
): void {
  const { name, protocol: proto } = info;
  const port = info.port.port;
  const svcChain = servicePortChainName(KUBE_SVC, name, proto);
  const svlChain = servicePortChainName(KUBE_SVL, name, proto);
  const extChain = servicePortChainName(KUBE_EXT, name, proto);
  const fwChain = servicePortChainName(KUBE_FW, name, proto);
  const sepName = (e: Endpoint) => servicePortEndpointChainName(name, proto, `${e.ip}:${e.port}`);

  const {
    usesClusterChain,
    usesLocalChain,
    hasInternal,
    hasExternal,
    usesExternalChain: usesExtChain,
  } = chainUse(info);
  const internalChain = info.internalPolicyLocal ? svlChain : svcChain;
  const externalPolicyChain = info.externalPolicyLocal ? svlChain : svcChain;
  const usesFwChain = info.hasEndpoints && info.loadBalancerIPs.length > 0 && info.sourceRanges.length > 0;
  const lbChain = usesFwChain ? fwChain : extChain;

  let internalFilter = { target: '', comment: '' };
  let externalFilter = { target: '', comment: '' };
  if (!info.hasEndpoints) {
    internalFilter = { target: 'REJECT', comment: `"${name} has no endpoints"` };
    externalFilter = internalFilter;
  } else {
    if (!hasInternal) internalFilter = { target: 'DROP', comment: `"${name} has no local endpoints"` };
    if (!hasExternal) externalFilter = { target: 'DROP', comment: `"${name} has no local endpoints"` };
  }
  const match = `-m ${proto} -p ${proto}`;

  // Service IPs and ports captured in KUBE-SERVICES / KUBE-NODEPORTS.
  if (hasInternal) {
    nat.add(
      KUBE_SERVICES,
      `-m comment --comment "${name} cluster IP"`,
      match,
      '-d',
      info.clusterIP,
      '--dport',
      port,
      '-j',
      internalChain,
    );
  } else {
    filter.add(
      KUBE_SERVICES,
      '-m comment --comment',
      internalFilter.comment,
      match,
      '-d',
      info.clusterIP,
      '--dport',
      port,
      '-j',
      internalFilter.target,
    );
  }
  for (const ip of info.externalIPs) {
    if (info.hasEndpoints) {
      nat.add(
        KUBE_SERVICES,
        `-m comment --comment "${name} external IP"`,
        match,
        '-d',
        ip,
        '--dport',
        port,
        '-j',
        extChain,
      );
    }
    if (!hasExternal) {
      filter.add(
        KUBE_EXTERNAL_SERVICES,
        '-m comment --comment',
        externalFilter.comment,
        match,
        '-d',
        ip,
        '--dport',
        port,
        '-j',
        externalFilter.target,
      );
    }
  }
  for (const ip of info.loadBalancerIPs) {
    if (info.hasEndpoints) {
      nat.add(
        KUBE_SERVICES,
        `-m comment --comment "${name} loadbalancer IP"`,
        match,
        '-d',
        ip,
        '--dport',
        port,
        '-j',
        lbChain,
      );
    }
    if (usesFwChain) {
      filter.add(
        KUBE_PROXY_FIREWALL,
        `-m comment --comment "${name} traffic not accepted by ${fwChain}"`,
        match,
        '-d',
        ip,
        '--dport',
        port,
        '-j DROP',
      );
    }
  }
  if (!hasExternal) {
    for (const ip of info.loadBalancerIPs) {
      filter.add(
        KUBE_EXTERNAL_SERVICES,
        '-m comment --comment',
        externalFilter.comment,
        match,
        '-d',
        ip,
        '--dport',
        port,
        '-j',
        externalFilter.target,
      );
    }
  }
  if (info.nodePort) {
    if (info.hasEndpoints) {
      nat.add(KUBE_NODEPORTS, '-m comment --comment', name, match, '--dport', info.nodePort, '-j', extChain);
    }
    if (!hasExternal) {
      filter.add(
        KUBE_EXTERNAL_SERVICES,
        '-m comment --comment',
        externalFilter.comment,
        '-m addrtype --dst-type LOCAL',
        match,
        '--dport',
        info.nodePort,
        '-j',
        externalFilter.target,
      );
    }
  }
  if (info.healthCheckNodePort) {
    filter.add(
      KUBE_NODEPORTS,
      `-m comment --comment "${name} health check node port"`,
      '-m tcp -p tcp --dport',
      info.healthCheckNodePort,
      '-j ACCEPT',
    );
  }

  // Per-service chains.
  if (usesClusterChain) nat.declare(svcChain);
  if (usesLocalChain) nat.declare(svlChain);
  if (usesExtChain) {
    nat.declare(extChain);
    if (!info.externalPolicyLocal) {
      // Endpoints may be on another node: SNAT so replies come back through this one.
      nat.add(
        extChain,
        `-m comment --comment "masquerade traffic for ${name} external destinations"`,
        '-j',
        KUBE_MARK_MASQ,
      );
    } else {
      // Pods and the node itself reach external IPs as if via an outside LB: cluster-wide endpoints.
      nat.add(
        extChain,
        `-m comment --comment "pod traffic for ${name} external destinations"`,
        '-s',
        podCIDR,
        '-j',
        svcChain,
      );
      nat.add(
        extChain,
        `-m comment --comment "masquerade LOCAL traffic for ${name} external destinations"`,
        '-m addrtype --src-type LOCAL -j',
        KUBE_MARK_MASQ,
      );
      nat.add(
        extChain,
        `-m comment --comment "route LOCAL traffic for ${name} external destinations"`,
        '-m addrtype --src-type LOCAL -j',
        svcChain,
      );
    }
    if (hasExternal) nat.add(extChain, '-j', externalPolicyChain);
  }
  if (usesFwChain) {
    nat.declare(fwChain);
    const args = `-m comment --comment "${name} loadbalancer IP"`;
    let allowFromNode = false;
    for (const cidr of info.sourceRanges) {
      nat.add(fwChain, args, '-s', cidr, '-j', extChain);
      if (cidrContains(cidr, nodeIP)) allowFromNode = true;
    }
    // A node reaching a VIP-style LB IP bound locally loops back with the LB IP as source.
    if (allowFromNode) for (const ip of info.loadBalancerIPs) nat.add(fwChain, args, '-s', ip, '-j', extChain);
    // Falls through un-DNAT'd and is dropped by the filter KUBE-PROXY-FIREWALL rule.
    nat.add(fwChain, `-m comment --comment "other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL"`);
  }
  // The ClusterIP masquerade rule goes into the internal traffic chain: KUBE-SVL- when ITP is Local
  // ("Set up internal traffic handling", pkg/proxy/iptables/proxier.go, kubernetes v1.24+).
  if (hasInternal) {
    if (opts.masqueradeAll) {
      nat.add(
        internalChain,
        `-m comment --comment "${name} cluster IP"`,
        match,
        '-d',
        info.clusterIP,
        '--dport',
        port,
        '-j',
        KUBE_MARK_MASQ,
      );
    } else {
      // Off-cluster sources routed to a node for a ClusterIP: SNAT so the reply returns here.
      nat.add(
        internalChain,
        `-m comment --comment "${name} cluster IP"`,
        match,
        '-d',
        info.clusterIP,
        '--dport',
        port,
        '!',
        '-s',
        podCIDR,
        '-j',
        KUBE_MARK_MASQ,
      );
    }
  }
  if (usesClusterChain) writeServiceToEndpointRules(nat, info, svcChain, info.clusterEndpoints, sepName, svcComment);
  if (usesLocalChain) writeServiceToEndpointRules(nat, info, svlChain, info.localEndpoints, sepName, svcComment);

  for (const ep of info.reachableEndpoints) {
    const sep = sepName(ep);
    nat.declare(sep);
    const c = svcComment(name);
    // Hairpin: a backend reaching itself through the VIP must be SNAT'd or it would answer itself directly.
    nat.add(sep, ...c, '-s', ep.ip, '-j', KUBE_MARK_MASQ);
    const affinity = info.affinitySeconds ? ['-m recent --name', sep, '--set'] : [];
    nat.add(sep, ...c, ...affinity, match, '-j DNAT --to-destination', `${ep.ip}:${ep.port}`);
  }
}

function writeServiceToEndpointRules(
  nat: Chains,
  info: ServicePortInfo,
  chain: string,
  endpoints: Endpoint[],
  sepName: (e: Endpoint) => string,
  svcComment: (c: string) => string[],
): void {
  if (info.affinitySeconds) {
    for (const ep of endpoints) {
      const sep = sepName(ep);
      nat.add(
        chain,
        ...svcComment(`${info.name} -> ${ep.ip}:${ep.port}`),
        '-m recent --name',
        sep,
        '--rcheck --seconds',
        info.affinitySeconds,
        '--reap -j',
        sep,
      );
    }
  }
  const n = endpoints.length;
  endpoints.forEach((ep, i) => {
    const stat = i < n - 1 ? ['-m statistic --mode random --probability', probability(n - i)] : [];
    nat.add(chain, ...svcComment(`${info.name} -> ${ep.ip}:${ep.port}`), ...stat, '-j', sepName(ep));
  });
}
