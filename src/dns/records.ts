/**
 * The resource records the Kubernetes DNS spec (schema 1.1.0) requires, computed from the lab
 * model and its endpoints as plain data. zone.ts and reverse.ts only lay them out as text, so
 * the forward and reverse zones come from one computation.
 */
import type { LabModel, PodModel, ServiceModel } from '../model/types';
import type { EndpointSlice } from '../proxy/endpoints';
import { formatIp, maskOf, parseCidrLoose, parseIp } from '../net/ipv4';

/** DNS schema version served at dns-version.<zone>. TXT. */
export const DNS_SCHEMA_VERSION = '1.1.0';
/** kubeadm sets `ttl 30` in the kubernetes plugin (its default is 5): cmd/kubeadm/app/phases/addons/dns/manifests.go. */
export const DEFAULT_TTL = 30;

/** One resource record in presentation form: absolute lowercase owner, rdata as dig prints it. */
export interface RR {
  name: string;
  ttl: number;
  type: string;
  /** RDATA as dig prints it (names absolute with a trailing dot, TXT strings quoted). */
  data: string;
}

/** `cluster.local` or `cluster.local.` -> `cluster.local.` (lowercase). */
export function fqdn(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n : `${n}.`;
}

export function serviceFqdn(namespace: string, service: string, domain: string): string {
  return fqdn(`${service}.${namespace}.svc.${domain}`);
}

/** `_<port>._<proto>.<svc>.<ns>.svc.<zone>.` */
export function srvFqdn(
  portName: string,
  protocol: string,
  namespace: string,
  service: string,
  domain: string,
): string {
  return fqdn(`_${portName}._${protocol}.${service}.${namespace}.svc.${domain}`);
}

/** `10.244.1.5` -> `10-244-1-5`: the pod record label, and CoreDNS's endpoint identifier when no hostname is set. */
export function dashedIp(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

/** `a-b-c-d.<ns>.pod.<zone>.` */
export function podFqdn(pod: Pick<PodModel, 'ip' | 'namespace'>, domain: string): string {
  return fqdn(`${dashedIp(pod.ip)}.${pod.namespace}.pod.${domain}`);
}

/** `1.0.96.10.in-addr.arpa.` for 10.96.0.1. */
export function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa.`;
}

/**
 * The in-addr.arpa zone covering a CIDR, at the octet boundary at or above its prefix
 * (10.96.0.0/16 -> 96.10.in-addr.arpa., 10.96.0.0/12 -> 10.in-addr.arpa.): PTR zones can only be
 * cut at octets (without RFC 2317 delegation, which an authoritative-only lab needs not).
 */
export function reverseZoneFor(cidr: string): string {
  const c = parseCidrLoose(cidr);
  if (!c) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const octets = Math.floor(c.prefix / 8);
  // A block shorter than /8 is covered only by in-addr.arpa. itself.
  if (octets === 0) return 'in-addr.arpa.';
  const parts = formatIp((c.address & maskOf(c.prefix)) >>> 0)
    .split('.')
    .slice(0, octets);
  return `${parts.reverse().join('.')}.in-addr.arpa.`;
}

/** True when `name` equals `zone` or lies below it (both absolute). */
export function inZone(name: string, zone: string): boolean {
  const n = fqdn(name);
  const z = fqdn(zone);
  return n === z || n.endsWith(`.${z}`);
}

function srvData(priority: number, weight: number, port: number, target: string): string {
  return `${priority} ${weight} ${port} ${target}`;
}

/**
 * CoreDNS gives every SRV record priority 0 and splits weight 100 evenly among the records of one
 * answer (floor(100 / n)); the spec leaves both values open.
 */
function srvRecords(name: string, ttl: number, targets: { port: number; target: string }[]): RR[] {
  const weight = Math.floor(100 / Math.max(1, targets.length));
  return targets.map((t) => ({ name, ttl, type: 'SRV', data: srvData(0, weight, t.port, t.target) }));
}

function ipKey(ip: string): number {
  return parseIp(ip) ?? Number.MAX_SAFE_INTEGER;
}

/**
 * The two Services every cluster has but the topology does not declare: default/kubernetes on the
 * first address of the service CIDR and kube-system/kube-dns on the DNS VIP. Added only when the
 * model does not already hold a Service of that name.
 */
export function builtinServices(model: LabModel): ServiceModel[] {
  const base = {
    sessionAffinity: 'None' as const,
    affinityTimeoutSeconds: 10800,
    internalTrafficPolicy: 'Cluster' as const,
    externalTrafficPolicy: 'Cluster' as const,
    publishNotReadyAddresses: false,
    type: 'ClusterIP' as const,
  };
  const out: ServiceModel[] = [];
  const has = (ns: string, name: string) => model.services.some((s) => s.namespace === ns && s.name === name);
  const net = parseCidrLoose(model.cluster.serviceCIDR);
  if (net && !has('default', 'kubernetes')) {
    out.push({
      ...base,
      name: 'kubernetes',
      namespace: 'default',
      clusterIP: formatIp(((net.address & maskOf(net.prefix)) >>> 0) + 1),
      ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }],
    });
  }
  if (model.cluster.dnsIP && !has('kube-system', 'kube-dns')) {
    out.push({
      ...base,
      name: 'kube-dns',
      namespace: 'kube-system',
      clusterIP: model.cluster.dnsIP,
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
        { name: 'metrics', protocol: 'TCP', port: 9153, targetPort: 9153 },
      ],
    });
  }
  return out;
}

export interface RecordOptions {
  ttl?: number;
  /** Add default/kubernetes and kube-system/kube-dns when the model lacks them (default true). */
  builtins?: boolean;
}

/** A ready endpoint of a headless service with its spec _hostname_. */
export interface HeadlessEndpoint {
  ip: string;
  hostname: string;
  /** `<hostname>.<svc>.<ns>.svc.<zone>.` */
  fqdn: string;
}

export interface ClusterRecords {
  /** Forward records below the cluster domain (no SOA/NS: zone.ts adds those). */
  forward: RR[];
  /** PTR records, owner in in-addr.arpa. */
  ptr: RR[];
}

function isHeadless(svc: ServiceModel): boolean {
  return svc.type !== 'ExternalName' && svc.clusterIP === 'None';
}

/**
 * An endpoint's _hostname_: the pod's spec.hostname when its spec.subdomain names this Service
 * (what the endpoints controller copies into the endpoint), else the dashed IP CoreDNS uses.
 */
export function endpointHostname(
  pod: PodModel | undefined,
  svc: Pick<ServiceModel, 'name' | 'namespace'>,
  ip: string,
): string {
  if (pod && pod.hostname && pod.subdomain === svc.name && pod.namespace === svc.namespace)
    return pod.hostname.toLowerCase();
  return dashedIp(ip);
}

/** Ready endpoints of a headless service, one per IP, sorted by IP (union over its port slices). */
export function headlessEndpoints(model: LabModel, svc: ServiceModel, slices: EndpointSlice[]): HeadlessEndpoint[] {
  const pods = new Map(model.pods.filter((p) => p.namespace === svc.namespace).map((p) => [p.name, p]));
  const byIp = new Map<string, HeadlessEndpoint>();
  for (const s of slices) {
    if (s.namespace !== svc.namespace || s.service !== svc.name) continue;
    for (const ep of s.endpoints) {
      if (!ep.ready || byIp.has(ep.ip)) continue;
      const hostname = endpointHostname(pods.get(ep.podName), svc, ep.ip);
      byIp.set(ep.ip, {
        ip: ep.ip,
        hostname,
        fqdn: fqdn(`${hostname}.${svc.name}.${svc.namespace}.svc.${model.cluster.domain}`),
      });
    }
  }
  return [...byIp.values()].sort((a, b) => ipKey(a.ip) - ipKey(b.ip));
}

/** Every service the zone describes: the model's plus the built-ins, sorted by namespace then name. */
export function zoneServices(model: LabModel, builtins = true): ServiceModel[] {
  const all = [...model.services, ...(builtins ? builtinServices(model) : [])];
  return all.sort((a, b) =>
    a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}

/** The spec's records for services, headless endpoints and pods, in a deterministic order. */
export function clusterRecords(model: LabModel, slices: EndpointSlice[], opts: RecordOptions = {}): ClusterRecords {
  const ttl = opts.ttl ?? DEFAULT_TTL;
  const domain = model.cluster.domain;
  const forward: RR[] = [];
  const ptr: RR[] = [];
  const rr = (name: string, type: string, data: string): RR => ({ name, ttl, type, data });
  const slicesOf = (svc: ServiceModel) => slices.filter((s) => s.namespace === svc.namespace && s.service === svc.name);

  for (const svc of zoneServices(model, opts.builtins ?? true)) {
    const name = serviceFqdn(svc.namespace, svc.name, domain);
    if (svc.type === 'ExternalName') {
      if (svc.externalName) forward.push(rr(name, 'CNAME', fqdn(svc.externalName)));
      continue;
    }
    if (!isHeadless(svc)) {
      if (parseIp(svc.clusterIP) === undefined) continue;
      forward.push(rr(name, 'A', svc.clusterIP));
      for (const p of svc.ports) {
        if (!p.name) continue; // unnamed ports have no SRV record
        forward.push(
          ...srvRecords(srvFqdn(p.name, p.protocol.toLowerCase(), svc.namespace, svc.name, domain), ttl, [
            { port: p.port, target: name },
          ]),
        );
      }
      ptr.push(rr(reverseName(svc.clusterIP), 'PTR', name));
      continue;
    }
    // Headless: records exist only for ready endpoints; none at all gives NXDOMAIN.
    const eps = headlessEndpoints(model, svc, slices);
    for (const ep of eps) forward.push(rr(name, 'A', ep.ip));
    for (const ep of eps) forward.push(rr(ep.fqdn, 'A', ep.ip));
    const portSlices = slicesOf(svc);
    for (const p of svc.ports) {
      if (!p.name) continue;
      const slice = portSlices.find((s) => s.portName === p.name && s.protocol === p.protocol);
      if (!slice) continue;
      // SRV per ready endpoint x named port; the port is the endpoint's (target) port, as CoreDNS
      // answers for headless services, since clients connect to the pod directly.
      const byIp = new Map(eps.map((e) => [e.ip, e]));
      const targets = slice.endpoints
        .filter((e) => e.ready && byIp.has(e.ip))
        .map((e) => ({ port: e.port, target: byIp.get(e.ip)!.fqdn }));
      forward.push(
        ...srvRecords(srvFqdn(p.name, p.protocol.toLowerCase(), svc.namespace, svc.name, domain), ttl, targets),
      );
    }
    for (const ep of eps) ptr.push(rr(reverseName(ep.ip), 'PTR', ep.fqdn));
  }

  // Pod records: CoreDNS `pods insecure` answers any a-b-c-d.<ns>.pod name; a zone file lists each pod.
  const pods = model.pods
    .filter((p) => parseIp(p.ip) !== undefined)
    .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : ipKey(a.ip) - ipKey(b.ip)));
  const seen = new Set<string>();
  for (const p of pods) {
    const name = podFqdn(p, domain);
    if (seen.has(name)) continue;
    seen.add(name);
    forward.push(rr(name, 'A', p.ip));
  }
  return { forward: dedupe(forward), ptr: dedupe(ptr) };
}

/** Drops exact duplicates (same owner, type and data), keeping first-seen order. */
export function dedupe(records: RR[]): RR[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const k = `${r.name}\t${r.type}\t${r.data}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `name ttl IN type data`, the master-file line for one record. */
export function formatRR(r: RR): string {
  return `${r.name} ${r.ttl} IN ${r.type} ${r.data}`;
}
