/**
 * A pod's DNS input checks for the topology loader (spec.dnsPolicy, spec.dnsConfig), with the
 * apiserver's wording. The cluster domain, DNS VIP and Service names are checked where the loader
 * reads them (topology/resolve.ts, topology/services.ts).
 */
import type { PodModel } from '../model/types';
import { parseIp } from '../net/ipv4';
import { dns1123SubdomainProblem } from './names';
import { MAX_NAMESERVERS, MAX_SEARCHES, MAX_SEARCH_CHARS } from '../dns/config';

export interface DnsProblem {
  field: string;
  message: string;
  hint?: string;
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
