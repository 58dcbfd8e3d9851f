/**
 * The cluster settings of a topology (phase two of loading, see resolve.ts): defaults and CLI
 * overrides applied, enums, CIDRs, the DNS VIP, MTU and NodePort range checked.
 */
import type { ClusterSettings, CniMode, DnsServerSetting, IptablesBackend, ProxyMode } from '../model/types';
import { Cidr, cidrProblem, formatIp, isHostOf, overlaps, parseCidr, parseIp } from '../net/ipv4';
import {
  CLUSTER_DEFAULTS,
  CNI_MODES,
  DNS_SERVERS,
  IPTABLES_BACKENDS,
  IPVS_SCHEDULERS,
  MTU_MAX,
  MTU_MIN,
  PROXY_MODES,
} from './defaults';
import { Issues } from './issues';
import { closest, dns1123SubdomainProblem } from './names';
import type { RawTopology, TopologyOverrides } from './raw';

/** Cluster settings plus their parsed ranges (undefined where the value was invalid). */
export interface ClusterPlan {
  settings: ClusterSettings;
  podNet?: Cidr;
  serviceNet?: Cidr;
  nodePortRange?: [number, number];
}

function enumCheck(value: string, allowed: readonly string[], field: string, issues: Issues): void {
  if (allowed.includes(value)) return;
  const guess = closest(value, allowed);
  issues.add(
    field,
    `"${value}" is not a valid value`,
    `use one of: ${allowed.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`,
  );
}

export function cidrField(value: string, field: string, issues: Issues, example: string): Cidr | undefined {
  const problem = cidrProblem(value);
  if (problem) {
    issues.add(field, problem.message, problem.fix ? `use ${problem.fix}` : `write an IPv4 CIDR such as ${example}`);
    return undefined;
  }
  return parseCidr(value);
}

export function resolveCluster(raw: RawTopology, overrides: TopologyOverrides, issues: Issues): ClusterPlan {
  const c = { ...CLUSTER_DEFAULTS, ...(raw.cluster ?? {}) };
  const fieldOf = (k: keyof TopologyOverrides, clusterKey: string): string =>
    overrides[k] !== undefined ? `--${k}` : `cluster.${clusterKey}`;
  const proxy = overrides.proxy ?? c.proxy;
  const cni = overrides.cni ?? c.cni;
  const backend = overrides.iptablesBackend ?? c.iptablesBackend;
  enumCheck(proxy, PROXY_MODES, fieldOf('proxy', 'proxy'), issues);
  enumCheck(cni, CNI_MODES, fieldOf('cni', 'cni'), issues);
  enumCheck(backend, IPTABLES_BACKENDS, fieldOf('iptablesBackend', 'iptablesBackend'), issues);
  enumCheck(c.ipvsScheduler, IPVS_SCHEDULERS, 'cluster.ipvsScheduler', issues);
  // Asked for here, decided at lab up (src/topology/dns-server.ts); absent means auto.
  const dnsServer = overrides.dnsServer ?? raw.cluster?.dnsServer;
  if (dnsServer !== undefined)
    enumCheck(
      String(dnsServer),
      DNS_SERVERS,
      overrides.dnsServer !== undefined ? '--dns-server' : 'cluster.dnsServer',
      issues,
    );

  const podNet = cidrField(c.podCIDR, 'cluster.podCIDR', issues, CLUSTER_DEFAULTS.podCIDR);
  const serviceNet = cidrField(c.serviceCIDR, 'cluster.serviceCIDR', issues, CLUSTER_DEFAULTS.serviceCIDR);
  if (!Number.isInteger(c.nodePodPrefix) || c.nodePodPrefix < 1 || c.nodePodPrefix > 30)
    issues.add(
      'cluster.nodePodPrefix',
      `${c.nodePodPrefix} is not a usable block size`,
      'use a prefix length between the podCIDR prefix + 1 and 30 (e.g. 24)',
    );
  else if (podNet && c.nodePodPrefix <= podNet.prefix)
    issues.add(
      'cluster.nodePodPrefix',
      `/${c.nodePodPrefix} is not longer than the podCIDR prefix /${podNet.prefix}, so ${c.podCIDR} cannot be split into per-node blocks`,
      `use a nodePodPrefix greater than ${podNet.prefix} (e.g. ${Math.min(Math.max(podNet.prefix + 8, podNet.prefix + 1), 30)}), or a larger podCIDR`,
    );
  if (serviceNet && serviceNet.prefix < 12)
    issues.add(
      'cluster.serviceCIDR',
      `${c.serviceCIDR} is too large (Kubernetes allows at most a /12 for IPv4 Services)`,
      'use a prefix of /12 or longer, e.g. 10.96.0.0/16',
    );
  if (serviceNet && serviceNet.prefix > 28)
    issues.add(
      'cluster.serviceCIDR',
      `${c.serviceCIDR} is too small for the kubernetes and DNS Services plus yours`,
      'use a prefix of /28 or shorter, e.g. 10.96.0.0/16',
    );
  if (podNet && serviceNet && overlaps(podNet, serviceNet))
    issues.add(
      'cluster.serviceCIDR',
      `${c.serviceCIDR} overlaps cluster.podCIDR ${c.podCIDR}`,
      'pod and Service ranges must be disjoint: e.g. podCIDR 10.244.0.0/16, serviceCIDR 10.96.0.0/16',
    );

  const dns = parseIp(c.dnsIP);
  if (dns === undefined)
    issues.add(
      'cluster.dnsIP',
      `"${c.dnsIP}" is not an IPv4 address`,
      `use an address inside the serviceCIDR, e.g. ${CLUSTER_DEFAULTS.dnsIP}`,
    );
  else if (serviceNet && !isHostOf(serviceNet, dns))
    issues.add(
      'cluster.dnsIP',
      `${c.dnsIP} is outside cluster.serviceCIDR ${c.serviceCIDR}`,
      `pick a host address inside ${c.serviceCIDR}, e.g. ${formatIp(serviceNet.network + 10)}`,
    );
  else if (serviceNet && dns === serviceNet.network + 1)
    issues.add(
      'cluster.dnsIP',
      `${c.dnsIP} is the kubernetes Service's address (first address of the serviceCIDR)`,
      `use another address, e.g. ${formatIp(serviceNet.network + 10)}`,
    );

  const domainProblem = dns1123SubdomainProblem(String(c.domain));
  if (domainProblem)
    issues.add(
      'cluster.domain',
      `${domainProblem}; the cluster domain must be a DNS domain`,
      'use a domain such as cluster.local (no trailing dot)',
    );

  if (!Number.isInteger(c.mtu) || c.mtu < MTU_MIN || c.mtu > MTU_MAX)
    issues.add('cluster.mtu', `${c.mtu} is not a usable MTU`, `use ${MTU_MIN}..${MTU_MAX} (1500 for Ethernet)`);

  let nodePortRange: [number, number] | undefined;
  const m = /^([0-9]+)-([0-9]+)$/.exec(String(c.nodePortRange));
  if (!m)
    issues.add(
      'cluster.nodePortRange',
      `"${c.nodePortRange}" is not a port range`,
      'write it as first-last, e.g. 30000-32767',
    );
  else {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (a < 1 || b > 65535 || a > b)
      issues.add(
        'cluster.nodePortRange',
        `"${c.nodePortRange}" is not a valid range`,
        'use first-last with 1 <= first <= last <= 65535, e.g. 30000-32767',
      );
    else nodePortRange = [a, b];
  }

  return {
    settings: {
      podCIDR: c.podCIDR,
      nodePodPrefix: c.nodePodPrefix,
      serviceCIDR: c.serviceCIDR,
      domain: c.domain,
      dnsIP: c.dnsIP,
      dns: c.dns !== false,
      ...(dnsServer !== undefined ? { dnsServer: dnsServer as DnsServerSetting } : {}),
      proxy: proxy as ProxyMode,
      iptablesBackend: backend as IptablesBackend,
      ipvsScheduler: c.ipvsScheduler,
      cni: cni as CniMode,
      mtu: c.mtu,
      nodePortRange: nodePortRange ?? [30000, 32767],
    },
    podNet,
    serviceNet,
    nodePortRange,
  };
}
