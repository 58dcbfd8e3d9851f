/**
 * DNS input checks for the topology loader, with the apiserver's wording where there is one.
 * Name rules come from src/topology/names.ts; this file only adds the DNS-specific ones.
 */
import type { PodModel } from '../model/types';
import { formatIp, isHostOf, parseCidr, parseIp } from '../net/ipv4';
import { dns1035LabelProblem, dns1123SubdomainProblem } from './names';
import { MAX_NAMESERVERS, MAX_SEARCHES, MAX_SEARCH_CHARS } from '../dns/config';

export interface DnsProblem {
  field: string;
  message: string;
  hint?: string;
}

/** The cluster domain: a DNS-1123 subdomain written without the trailing dot. */
export function clusterDomainProblem(domain: string): string | undefined {
  if (typeof domain === 'string' && domain.endsWith('.')) return `"${domain}" must be written without a trailing dot`;
  const p = dns1123SubdomainProblem(domain);
  return p ? `${p}; the cluster domain must be a DNS domain` : undefined;
}

/** The DNS Service VIP: a host address of the service CIDR, not the kubernetes Service's. */
export function dnsIPProblem(dnsIP: string, serviceCIDR: string): string | undefined {
  const ip = parseIp(dnsIP);
  if (ip === undefined) return `"${dnsIP}" is not an IPv4 address`;
  const net = parseCidr(serviceCIDR);
  if (!net) return undefined; // the CIDR's own check reports it
  if (!isHostOf(net, ip))
    return `${dnsIP} is outside the service CIDR ${serviceCIDR} (or is its network/broadcast address)`;
  if (ip === net.network + 1) return `${dnsIP} is the kubernetes Service's address (${formatIp(net.network + 1)})`;
  return undefined;
}

/** Service names are DNS-1035 labels: they become `<svc>.<ns>.svc.<zone>`. */
export const serviceNameProblem = dns1035LabelProblem;

/** spec.externalName: a DNS-1123 subdomain (a trailing dot is allowed, as the apiserver does). */
export function externalNameProblem(name: string): string | undefined {
  return dns1123SubdomainProblem(typeof name === 'string' ? name.replace(/\.$/, '') : name);
}

/** One resolv.conf token: printable ASCII without spaces. */
const RESOLV_TOKEN = /^[\x21-\x7e]+$/;

const POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];

/** spec.dnsPolicy and spec.dnsConfig checks (apiserver validateDNSPolicy / validatePodDNSConfig). */
export function podDnsProblems(pod: Pick<PodModel, 'dnsPolicy' | 'dnsConfig'>, field = 'spec'): DnsProblem[] {
  const out: DnsProblem[] = [];
  const policy = pod.dnsPolicy ?? 'ClusterFirst';
  if (!POLICIES.includes(policy))
    out.push({
      field: `${field}.dnsPolicy`,
      message: `Unsupported value: "${policy}"`,
      hint: `use one of ${POLICIES.join(', ')}`,
    });
  const cfg = pod.dnsConfig;
  const ns = cfg?.nameservers ?? [];
  if (policy === 'None' && ns.length === 0)
    out.push({
      field: `${field}.dnsConfig.nameservers`,
      message: 'must provide at least one DNS nameserver when `dnsPolicy` is `None`',
      hint: 'add dnsConfig.nameservers, e.g. the cluster DNS VIP',
    });
  if (ns.length > MAX_NAMESERVERS)
    out.push({
      field: `${field}.dnsConfig.nameservers`,
      message: `must not have more than ${MAX_NAMESERVERS} nameservers`,
      hint: 'keep at most three',
    });
  ns.forEach((n, i) => {
    if (parseIp(n) === undefined)
      out.push({
        field: `${field}.dnsConfig.nameservers[${i}]`,
        message: `"${n}" must be a valid IP address`,
        hint: 'use an IPv4 address',
      });
  });
  const searches = cfg?.searches ?? [];
  if (searches.length > MAX_SEARCHES)
    out.push({
      field: `${field}.dnsConfig.searches`,
      message: `must not have more than ${MAX_SEARCHES} search paths`,
      hint: 'drop some search domains',
    });
  if (searches.join(' ').length > MAX_SEARCH_CHARS)
    out.push({
      field: `${field}.dnsConfig.searches`,
      message: `must not have more than ${MAX_SEARCH_CHARS} characters (including spaces) in the search list`,
      hint: 'shorten the search list',
    });
  searches.forEach((s, i) => {
    const p = dns1123SubdomainProblem(s.replace(/\.$/, ''));
    if (p)
      out.push({
        field: `${field}.dnsConfig.searches[${i}]`,
        message: p,
        hint: 'use a domain such as my.dns.search.suffix',
      });
  });
  (cfg?.options ?? []).forEach((o, i) => {
    if (!o || typeof o.name !== 'string' || o.name.length === 0) {
      out.push({
        field: `${field}.dnsConfig.options[${i}].name`,
        message: 'Required value: must not be empty',
        hint: 'name the option, e.g. ndots',
      });
      return;
    }
    // The kubelet writes `options name[:value]` on one line of resolv.conf; whitespace or a control
    // character would end the option (a newline even starts a new line, e.g. a rogue nameserver).
    if (!RESOLV_TOKEN.test(o.name) || o.name.includes(':'))
      out.push({
        field: `${field}.dnsConfig.options[${i}].name`,
        message: `${JSON.stringify(o.name)} is not a resolv.conf option name (no spaces, control characters or ':')`,
        hint: 'use an option name such as ndots, timeout, attempts, edns0',
      });
    if (o.value !== undefined && (typeof o.value !== 'string' || !RESOLV_TOKEN.test(o.value)))
      out.push({
        field: `${field}.dnsConfig.options[${i}].value`,
        message: `${JSON.stringify(o.value)} is not a resolv.conf option value (no spaces or control characters)`,
        hint: 'use a value such as "2" (ndots: "2")',
      });
  });
  return out;
}
