/**
 * kube-proxy's nftables mode as pure text for `nft -f`, laid out like pkg/proxy/nftables
 * (table `ip kube-proxy`, verdict maps service-ips / service-nodeports, per-service chains
 * service-<HASH>-ns/svc/proto/port, per-endpoint chains, affinity sets).
 *
 * A full sync (nftables-text.ts) deletes and re-creates the whole table in one `nft -f` transaction
 * (`add table` first so the delete cannot fail on a fresh node): atomic, and nothing of a
 * previous run survives. An incremental sync only touches what differs between two states:
 * map/set elements are added or deleted, changed chains are flushed and refilled, stale chains
 * and affinity sets are deleted.
 */

import type { LabModel } from '../model/types';
import type { Endpoint, EndpointSlice } from './endpoints';
import { nftEndpointChainBase, nftServiceChainBase } from './hash';
import {
  MASQ_MARK,
  type ProxyOptions,
  type ServicePortInfo,
  chainUse,
  cidrContains,
  findNode,
  servicePortInfos,
} from './service-ports';

export const NFT_TABLE = 'ip kube-proxy';

export interface NftChain {
  /** Base-chain spec, e.g. "type nat hook prerouting priority -100 ;". */
  base?: string;
  comment?: string;
  rules: string[];
}

export interface NftElement {
  /** Map value (verdict); absent for set elements. */
  value?: string;
  comment?: string;
}

/** Desired contents of table ip kube-proxy. Plain data: JSON-safe, comparable between syncs. */
export interface NftState {
  chains: Record<string, NftChain>;
  /** Affinity set name -> timeout in seconds. */
  affinitySets: Record<string, number>;
  /** Set or map name -> element key ("172.30.0.41 . tcp . 80") -> element. */
  elements: Record<string, Record<string, NftElement>>;
}

const MARK_MASQ = 'mark-for-masquerade';
const REJECT_CHAIN = 'reject-chain';

/** The fixed sets and maps, in kube-proxy's order (declared on full sync only). */
export const FIXED_CONTAINERS: string[] = [
  'set cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }',
  'set nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }',
  'map firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }',
  'map no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }',
  'map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment ' +
    '"vmap to drop or reject packets to services with no endpoints" ; }',
  'map service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }',
  'map service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }',
];
const CONTAINER_NAMES = FIXED_CONTAINERS.map((c) => c.split(' ')[1]);

function baseChains(serviceCIDR: string): Record<string, NftChain> {
  const c = (rules: string[], base?: string, comment?: string): NftChain => ({
    rules,
    ...(base ? { base } : {}),
    ...(comment ? { comment } : {}),
  });
  return {
    'cluster-ips-check': c([
      'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"',
      `ip daddr { ${serviceCIDR} } drop comment "Drop traffic to unallocated ClusterIPs"`,
    ]),
    // Filtering runs on pre-DNAT destinations, so these hook in before nat (-100).
    'filter-prerouting-pre-dnat': c(
      ['ct state new jump firewall-check'],
      'type filter hook prerouting priority -110 ;',
    ),
    'filter-output-pre-dnat': c(['ct state new jump firewall-check'], 'type filter hook output priority -110 ;'),
    'filter-forward': c(
      ['ct state new jump service-endpoints-check', 'ct state new jump cluster-ips-check'],
      'type filter hook forward priority 0 ;',
    ),
    'filter-input': c(
      ['ct state new jump nodeport-endpoints-check', 'ct state new jump service-endpoints-check'],
      'type filter hook input priority 0 ;',
    ),
    'filter-output': c(
      ['ct state new jump service-endpoints-check', 'ct state new jump cluster-ips-check'],
      'type filter hook output priority 0 ;',
    ),
    'firewall-check': c(['ip daddr . meta l4proto . th dport vmap @firewall-ips']),
    [MARK_MASQ]: c([`mark set mark or ${MASQ_MARK}`]),
    masquerading: c([`mark and ${MASQ_MARK} == 0 return`, `mark set mark xor ${MASQ_MARK}`, 'masquerade fully-random']),
    'nat-output': c(['jump services'], 'type nat hook output priority -100 ;'),
    'nat-postrouting': c(['jump masquerading'], 'type nat hook postrouting priority 100 ;'),
    'nat-prerouting': c(['jump services'], 'type nat hook prerouting priority -100 ;'),
    'nodeport-endpoints-check': c(['ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports']),
    [REJECT_CHAIN]: c(['reject'], undefined, 'helper for @no-endpoint-services / @no-endpoint-nodeports'),
    services: c([
      'ip daddr . meta l4proto . th dport vmap @service-ips',
      'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports',
    ]),
    'service-endpoints-check': c(['ip daddr . meta l4proto . th dport vmap @no-endpoint-services']),
  };
}

class Builder {
  readonly state: NftState;
  constructor(serviceCIDR: string) {
    this.state = { chains: baseChains(serviceCIDR), affinitySets: {}, elements: {} };
    for (const n of CONTAINER_NAMES) this.state.elements[n] = {};
  }
  chain(name: string): string[] {
    if (!this.state.chains[name]) this.state.chains[name] = { rules: [] };
    return this.state.chains[name].rules;
  }
  rule(chain: string, ...parts: (string | number)[]): void {
    this.chain(chain).push(parts.join(' '));
  }
  element(container: string, key: string, value?: string, comment?: string): void {
    this.state.elements[container][key] = { ...(value ? { value } : {}), ...(comment ? { comment } : {}) };
  }
}

/**
 * kube-proxy picks an endpoint with one anonymous verdict map per service chain
 * (`numgen random mod N vmap { 0 : goto A , 1 : goto B }`). The kernel binds each new anonymous
 * set by scanning the table's sets and the transaction (nf_tables_set_alloc_name,
 * nft_set_lookup_byid): quadratic, 60-130 s of kernel time for one 10,000-service `nft -f`
 * (vs ~2 s without them). Above this many such chains the same choice is made by a rule cascade,
 * `numgen random mod (N-i) == 0 goto E_i`, each endpoint 1/N as iptables' statistic cascade.
 */
export const NFT_VMAP_LIMIT = 1000;

export interface NftOptions extends ProxyOptions {
  /** Most service chains that pick endpoints with an anonymous vmap (default NFT_VMAP_LIMIT). */
  vmapLimit?: number;
}

/** Builds the desired table contents of one node. */
export function buildNftState(
  model: LabModel,
  nodeName: string,
  slices: EndpointSlice[],
  opts: NftOptions = {},
): NftState {
  const node = findNode(model, nodeName);
  const b = new Builder(model.cluster.serviceCIDR);
  // kube-proxy's nftables default --nodeport-addresses is the node's primary IP.
  b.element('nodeport-ips', node.ip);
  const infos = servicePortInfos(model, nodeName, slices, opts);
  const pickers = infos.reduce(
    (n, i) =>
      n +
      (i.clusterEndpoints.length > 0 && i.usesClusterEndpoints ? 1 : 0) +
      (i.localEndpoints.length > 0 && i.usesLocalEndpoints ? 1 : 0),
    0,
  );
  const cascade = pickers > (opts.vmapLimit ?? NFT_VMAP_LIMIT);
  for (const info of infos) {
    writeServicePort(b, info, node.ip, model.cluster.podCIDR, !!opts.masqueradeAll, cascade);
  }
  return b.state;
}

/** Rules choosing one of `targets` uniformly: one vmap, or a numgen cascade (see NFT_VMAP_LIMIT). */
export function endpointPickRules(targets: string[], cascade: boolean): string[] {
  if (!cascade)
    return [`numgen random mod ${targets.length} vmap { ${targets.map((t, i) => `${i} : goto ${t}`).join(' , ')} }`];
  const n = targets.length;
  return targets.map((t, i) => (i < n - 1 ? `numgen random mod ${n - i} == 0 goto ${t}` : `goto ${t}`));
}

function writeServicePort(
  b: Builder,
  info: ServicePortInfo,
  nodeIP: string,
  podCIDR: string,
  masqueradeAll: boolean,
  cascade: boolean,
): void {
  const ns = info.svc.namespace;
  const svcName = info.svc.name;
  const portName = info.port.name ?? '';
  const proto = info.protocol;
  const port = info.port.port;
  const base = nftServiceChainBase(ns, svcName, proto, portName);
  const clusterChain = `service-${base}`;
  const localChain = `local-${base}`;
  const externalChain = `external-${base}`;
  const fwChain = `firewall-${base}`;
  const epBase = (e: Endpoint) => nftEndpointChainBase(ns, svcName, proto, portName, e.ip, e.port);
  const epChain = (e: Endpoint) => `endpoint-${epBase(e)}`;
  const affinitySet = (e: Endpoint) => `affinity-${epBase(e)}`;

  const { usesClusterChain, usesLocalChain, hasInternal, hasExternal, usesExternalChain } = chainUse(info);
  const internalChain = info.internalPolicyLocal ? localChain : clusterChain;
  const externalPolicyChain = info.externalPolicyLocal ? localChain : clusterChain;
  const usesFwChain = info.loadBalancerIPs.length > 0 && info.sourceRanges.length > 0;

  let internalVerdict = '';
  let externalVerdict = '';
  if (!info.hasEndpoints) {
    internalVerdict = externalVerdict = `goto ${REJECT_CHAIN}`;
  } else {
    if (!hasInternal) internalVerdict = 'drop';
    if (!hasExternal) externalVerdict = 'drop';
  }
  const key = (ip: string) => `${ip} . ${proto} . ${port}`;
  const comment = info.name;

  b.element('cluster-ips', info.clusterIP);
  if (hasInternal) b.element('service-ips', key(info.clusterIP), `goto ${internalChain}`);
  else b.element('no-endpoint-services', key(info.clusterIP), internalVerdict, comment);
  for (const ip of info.externalIPs) {
    if (info.hasEndpoints) b.element('service-ips', key(ip), `goto ${externalChain}`);
    if (!hasExternal) b.element('no-endpoint-services', key(ip), externalVerdict, comment);
  }
  for (const ip of info.loadBalancerIPs) {
    if (info.hasEndpoints) b.element('service-ips', key(ip), `goto ${externalChain}`);
    if (usesFwChain) b.element('firewall-ips', key(ip), `goto ${fwChain}`);
    if (!hasExternal) b.element('no-endpoint-services', key(ip), externalVerdict, comment);
  }
  if (info.nodePort) {
    // NodePorts are not subject to loadBalancerSourceRanges (as in Kubernetes).
    if (info.hasEndpoints) b.element('service-nodeports', `${proto} . ${info.nodePort}`, `goto ${externalChain}`);
    if (!hasExternal) b.element('no-endpoint-nodeports', `${proto} . ${info.nodePort}`, externalVerdict, comment);
  }

  if (usesClusterChain) b.chain(clusterChain);
  if (usesLocalChain) b.chain(localChain);
  if (hasInternal) {
    if (masqueradeAll) b.rule(internalChain, 'ip daddr', info.clusterIP, 'jump', MARK_MASQ);
    // Off-cluster clients routed here for a ClusterIP: SNAT so the reply returns via this node.
    else b.rule(internalChain, 'ip daddr', info.clusterIP, 'ip saddr !=', podCIDR, 'jump', MARK_MASQ);
  }
  if (usesExternalChain) {
    b.chain(externalChain);
    if (!info.externalPolicyLocal) {
      b.rule(externalChain, 'jump', MARK_MASQ);
    } else {
      b.rule(externalChain, 'ip saddr', podCIDR, 'goto', clusterChain, 'comment "short-circuit pod traffic"');
      b.rule(externalChain, 'fib saddr type local jump', MARK_MASQ, 'comment "masquerade local traffic"');
      b.rule(externalChain, 'fib saddr type local goto', clusterChain, 'comment "short-circuit local traffic"');
    }
    if (hasExternal) b.rule(externalChain, 'goto', externalPolicyChain);
  }
  if (usesFwChain) {
    const sources = [...info.sourceRanges];
    if (info.sourceRanges.some((c) => cidrContains(c, nodeIP))) sources.push(...info.loadBalancerIPs);
    b.rule(fwChain, 'ip saddr != {', sources.join(', '), '} drop');
  }
  if (info.affinitySeconds) {
    for (const ep of info.reachableEndpoints) b.state.affinitySets[affinitySet(ep)] = info.affinitySeconds;
  }
  const toEndpoints = (chain: string, eps: Endpoint[]) => {
    if (info.affinitySeconds) {
      for (const ep of eps) b.rule(chain, 'ip saddr', `@${affinitySet(ep)}`, 'goto', epChain(ep));
    }
    for (const r of endpointPickRules(eps.map(epChain), cascade)) b.rule(chain, r);
  };
  if (usesClusterChain) toEndpoints(clusterChain, info.clusterEndpoints);
  if (usesLocalChain) toEndpoints(localChain, info.localEndpoints);
  for (const ep of info.reachableEndpoints) {
    const chain = epChain(ep);
    b.rule(chain, 'ip saddr', ep.ip, 'jump', MARK_MASQ);
    if (info.affinitySeconds) b.rule(chain, 'update', `@${affinitySet(ep)}`, '{ ip saddr }');
    b.rule(chain, 'meta l4proto', proto, 'dnat to', `${ep.ip}:${ep.port}`);
  }
}
