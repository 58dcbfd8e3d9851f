/**
 * What every proxy mode needs to know about one service port on one node: its addresses, its
 * traffic policies and which endpoints it may use from here. Follows kube-proxy's
 * BaseServicePortInfo (UsesClusterEndpoints / UsesLocalEndpoints / ExternallyAccessible) and
 * proxy.CategorizeEndpoints, without topology hints or terminating endpoints (the lab has neither).
 */

import type { LabModel, NodeModel, ServiceModel, ServicePortModel } from '../model/types';
import { InputError } from '../errors';
import { parseCidrLoose, parseIp } from '../net/ipv4';
import { type Endpoint, type EndpointSlice, indexSlices, servicePortName, sliceKey } from './endpoints';

/** Addresses a Service has that the lab model does not carry (spec.externalIPs, status.loadBalancer). */
export interface ServiceExtras {
  externalIPs?: string[];
  loadBalancerIPs?: string[];
}

export interface ProxyOptions {
  /** Keyed by "namespace/name". */
  serviceExtras?: Record<string, ServiceExtras>;
  /** --masquerade-all: SNAT every ClusterIP connection, not only off-cluster ones. */
  masqueradeAll?: boolean;
}

/** kube-proxy's default --iptables-masquerade-bit 14. */
export const MASQ_MARK = '0x4000';

export interface ServicePortInfo {
  svc: ServiceModel;
  port: ServicePortModel;
  /** "ns/svc:port" */
  name: string;
  /** lower case: tcp / udp */
  protocol: string;
  clusterIP: string;
  externalIPs: string[];
  loadBalancerIPs: string[];
  sourceRanges: string[];
  nodePort: number;
  healthCheckNodePort: number;
  affinitySeconds: number;
  internalPolicyLocal: boolean;
  externalPolicyLocal: boolean;
  externallyAccessible: boolean;
  usesClusterEndpoints: boolean;
  usesLocalEndpoints: boolean;
  clusterEndpoints: Endpoint[];
  localEndpoints: Endpoint[];
  /** Union of the endpoints the policies above can reach from this node (sorted). */
  reachableEndpoints: Endpoint[];
  /** Any usable endpoint anywhere in the cluster. */
  hasEndpoints: boolean;
}

/**
 * Which per-service chains a mode needs for one service port on this node, and whether the
 * internal and external traffic policies have endpoints to send to (the same decisions in
 * iptables and nftables mode; only the chain names differ).
 */
export interface ChainUse {
  usesClusterChain: boolean;
  usesLocalChain: boolean;
  hasInternal: boolean;
  hasExternal: boolean;
  usesExternalChain: boolean;
}

export function chainUse(info: ServicePortInfo): ChainUse {
  const local = info.localEndpoints.length > 0;
  return {
    usesClusterChain: info.clusterEndpoints.length > 0 && info.usesClusterEndpoints,
    usesLocalChain: local && info.usesLocalEndpoints,
    hasInternal: info.internalPolicyLocal ? local : info.hasEndpoints,
    hasExternal: info.externalPolicyLocal ? local : info.hasEndpoints,
    usesExternalChain: info.hasEndpoints && info.externallyAccessible,
  };
}

export function findNode(model: LabModel, nodeName: string): NodeModel {
  const node = model.nodes.find((n) => n.name === nodeName);
  if (!node) {
    throw new InputError(`no node named "${nodeName}"`, {
      hint: `use one of: ${model.nodes.map((n) => n.name).join(', ') || '(no nodes)'}`,
    });
  }
  return node;
}

/** ClusterIP services that kube-proxy programs: not headless, not ExternalName. */
export function isProxied(svc: ServiceModel): boolean {
  return svc.type !== 'ExternalName' && !!svc.clusterIP && svc.clusterIP !== 'None';
}

export function cidrContains(cidr: string, ip: string): boolean {
  const c = parseCidrLoose(cidr.trim());
  const a = parseIp(ip);
  if (!c || a === undefined) return false;
  if (c.prefix === 0) return true;
  const mask = (0xffffffff << (32 - c.prefix)) >>> 0;
  return (c.address & mask) >>> 0 === (a & mask) >>> 0;
}

/** Every proxied service port, in model order, categorized for `nodeName`. */
export function servicePortInfos(
  model: LabModel,
  nodeName: string,
  slices: EndpointSlice[],
  opts: ProxyOptions = {},
): ServicePortInfo[] {
  const byKey = indexSlices(slices);
  const out: ServicePortInfo[] = [];
  for (const svc of model.services) {
    if (!isProxied(svc)) continue;
    const extras = opts.serviceExtras?.[`${svc.namespace}/${svc.name}`] ?? {};
    const externalIPs = extras.externalIPs ?? [];
    const loadBalancerIPs = svc.type === 'LoadBalancer' ? (extras.loadBalancerIPs ?? []) : [];
    for (const port of svc.ports) {
      const slice = byKey.get(
        sliceKey({ namespace: svc.namespace, service: svc.name, portName: port.name ?? '', protocol: port.protocol }),
      );
      const ready = (slice?.endpoints ?? []).filter((e) => e.ready);
      const nodePort = svc.type === 'NodePort' || svc.type === 'LoadBalancer' ? (port.nodePort ?? 0) : 0;
      const externallyAccessible = nodePort > 0 || externalIPs.length > 0 || loadBalancerIPs.length > 0;
      const internalPolicyLocal = svc.internalTrafficPolicy === 'Local';
      const externalPolicyLocal = externallyAccessible && svc.externalTrafficPolicy === 'Local';
      // Even with ETP Local, external traffic from pods and the node short-circuits to the
      // cluster-wide endpoints, so any externally reachable port needs them.
      const usesClusterEndpoints = !internalPolicyLocal || externallyAccessible;
      const usesLocalEndpoints = internalPolicyLocal || externalPolicyLocal;
      const clusterEndpoints = usesClusterEndpoints ? ready : [];
      const localEndpoints = usesLocalEndpoints ? ready.filter((e) => e.node === nodeName) : [];
      const reachable = usesClusterEndpoints
        ? usesLocalEndpoints
          ? ready.filter((e) => clusterEndpoints.includes(e) || localEndpoints.includes(e))
          : clusterEndpoints
        : localEndpoints;
      out.push({
        svc,
        port,
        name: servicePortName(svc.namespace, svc.name, port.name),
        protocol: port.protocol.toLowerCase(),
        clusterIP: svc.clusterIP,
        externalIPs,
        loadBalancerIPs,
        sourceRanges: (svc.loadBalancerSourceRanges ?? []).map((r) => r.trim()).filter((r) => r.length > 0),
        nodePort,
        healthCheckNodePort:
          svc.type === 'LoadBalancer' && svc.externalTrafficPolicy === 'Local' ? (svc.healthCheckNodePort ?? 0) : 0,
        affinitySeconds: svc.sessionAffinity === 'ClientIP' ? svc.affinityTimeoutSeconds || 10800 : 0,
        internalPolicyLocal,
        externalPolicyLocal,
        externallyAccessible,
        usesClusterEndpoints,
        usesLocalEndpoints,
        clusterEndpoints,
        localEndpoints,
        reachableEndpoints: reachable,
        hasEndpoints: ready.length > 0,
      });
    }
  }
  return out;
}
