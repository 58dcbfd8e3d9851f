/**
 * What the cluster DNS should answer, computed from the parsed zones it serves, and what dig
 * said, parsed from `dig +noall +answer +comments` output. The lab's `dns` probe compares the two,
 * so a probe checks the served data against the zone text rather than against a second copy of
 * the record rules.
 */
import type { LabModel, PodModel, ServiceModel, ServicePortModel } from '../../src/model/types';
import type { EndpointSlice } from '../../src/proxy/endpoints';
import { ParsedZone, parseRRLine, parseZone } from '../../src/dns/parse-zone';
import { RR, fqdn, inZone, podFqdn, reverseName, serviceFqdn, srvFqdn } from '../../src/dns/records';
import { renderReverseZones } from '../../src/dns/reverse';
import { ZoneOptions, renderClusterZone } from '../../src/dns/zone';
import { digError } from '../../src/observe/dig';

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | 'FORMERR' | 'NOTIMP' | string;

export interface Query {
  name: string;
  type: string;
}

export interface ExpectedAnswer {
  status: 'NOERROR' | 'NXDOMAIN';
  /** Records the served zones put in the answer section (CNAME chain included), any order. */
  answers: RR[];
  /** The CNAME chain leaves the served zones at this name: the rest of the answer comes from upstream. */
  external?: string;
}

/** Parsed zones indexed by owner name. */
export interface DnsIndex {
  zones: { origin: string; byName: Map<string, RR[]>; names: Set<string> }[];
}

function zoneOrigin(z: ParsedZone): string {
  return z.records.find((r) => r.type === 'SOA')?.name ?? z.origin;
}

export function buildIndex(zones: ParsedZone[]): DnsIndex {
  return {
    zones: zones.map((z) => {
      const origin = zoneOrigin(z);
      const byName = new Map<string, RR[]>();
      const names = new Set<string>();
      for (const r of z.records) {
        const list = byName.get(r.name) ?? [];
        list.push(r);
        byName.set(r.name, list);
        // Every ancestor up to the origin exists (empty non-terminals answer NOERROR, not NXDOMAIN).
        for (let n = r.name; inZone(n, origin); n = n.slice(n.indexOf('.') + 1)) {
          names.add(n);
          if (n === origin) break;
        }
      }
      return { origin, byName, names };
    }),
  };
}

/** The most specific served zone holding `name`, as an authoritative server picks it. */
function zoneFor(index: DnsIndex, name: string) {
  let best: DnsIndex['zones'][number] | undefined;
  for (const z of index.zones) if (inZone(name, z.origin) && (!best || z.origin.length > best.origin.length)) best = z;
  return best;
}

/**
 * The answer an authoritative server for these zones gives (RFC 1034 4.3.2 without delegations
 * or wildcards, which the lab's zones do not use). Undefined when no served zone holds the name
 * (the server forwards such queries upstream).
 */
export function expectedAnswer(index: DnsIndex, q: Query): ExpectedAnswer | undefined {
  const type = q.type.toUpperCase();
  let name = fqdn(q.name);
  if (!zoneFor(index, name)) return undefined;
  const answers: RR[] = [];
  for (let hops = 0; hops < 16; hops++) {
    const zone = zoneFor(index, name);
    if (!zone) return { status: 'NOERROR', answers, external: name };
    const here = zone.byName.get(name) ?? [];
    const match = here.filter((r) => r.type === type || type === 'ANY');
    if (match.length) return { status: 'NOERROR', answers: [...answers, ...match] };
    const cname = here.find((r) => r.type === 'CNAME');
    if (cname) {
      answers.push(cname);
      name = cname.data;
      continue;
    }
    return { status: zone.names.has(name) ? 'NOERROR' : 'NXDOMAIN', answers };
  }
  throw new Error(`CNAME chain too long at ${name}`);
}

/** Renders the forward and reverse zones and indexes them parsed back, exactly as served. */
export function servedIndex(model: LabModel, endpoints: EndpointSlice[], opts: ZoneOptions): DnsIndex {
  const texts = [
    { origin: fqdn(model.cluster.domain), text: renderClusterZone(model, endpoints, opts) },
    ...renderReverseZones(model, endpoints, opts),
  ];
  return buildIndex(texts.map((z) => parseZone(z.text, { origin: z.origin })));
}

// Query builders for the spec's record kinds (the probe picks which to ask).

export function serviceAQuery(model: LabModel, svc: Pick<ServiceModel, 'name' | 'namespace'>): Query {
  return { name: serviceFqdn(svc.namespace, svc.name, model.cluster.domain), type: 'A' };
}

export function srvQuery(
  model: LabModel,
  svc: Pick<ServiceModel, 'name' | 'namespace'>,
  port: Pick<ServicePortModel, 'name' | 'protocol'>,
): Query {
  if (!port.name) throw new Error(`unnamed port of ${svc.namespace}/${svc.name} has no SRV record`);
  return {
    name: srvFqdn(port.name, port.protocol.toLowerCase(), svc.namespace, svc.name, model.cluster.domain),
    type: 'SRV',
  };
}

export function ptrQuery(ip: string): Query {
  return { name: reverseName(ip), type: 'PTR' };
}

export function podAQuery(model: LabModel, pod: Pick<PodModel, 'ip' | 'namespace'>): Query {
  return { name: podFqdn(pod, model.cluster.domain), type: 'A' };
}

export function hostnameAQuery(model: LabModel, pod: Pick<PodModel, 'namespace' | 'hostname' | 'subdomain'>): Query {
  if (!pod.hostname || !pod.subdomain) throw new Error('pod has no hostname and subdomain');
  return { name: fqdn(`${pod.hostname}.${pod.subdomain}.${pod.namespace}.svc.${model.cluster.domain}`), type: 'A' };
}

export function versionQuery(model: LabModel): Query {
  return { name: fqdn(`dns-version.${model.cluster.domain}`), type: 'TXT' };
}

// dig output.

export interface DigResult {
  /** Response code from the header; undefined when no response arrived (see error). */
  status?: Rcode;
  /** Header flags (qr aa rd ra ...). */
  flags: string[];
  answers: RR[];
  authority: RR[];
  additional: RR[];
  /** dig's own failure line, e.g. `;; connection timed out; no servers could be reached`. */
  error?: string;
}

/**
 * Parses dig output (`+noall +answer +comments`, or full output). When dig printed several
 * responses (a +tcp retry after truncation, several queries) the last one counts.
 */
export function parseDigOutput(text: string): DigResult {
  let res: DigResult = { flags: [], answers: [], authority: [], additional: [] };
  let section: 'answers' | 'authority' | 'additional' | undefined;
  let error: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const header = /->>HEADER<<-.*status:\s*([A-Z0-9]+)/.exec(line);
    if (header) {
      res = { status: header[1], flags: [], answers: [], authority: [], additional: [] };
      section = undefined;
      continue;
    }
    const flags = /^;;\s*flags:([^;]*);/.exec(line);
    if (flags) {
      res.flags = flags[1].trim().split(/\s+/).filter(Boolean);
      continue;
    }
    const sec = /^;;\s*(QUESTION|ANSWER|AUTHORITY|ADDITIONAL|OPT PSEUDO)\s*SECTION:/.exec(line);
    if (sec) {
      section =
        sec[1] === 'ANSWER'
          ? 'answers'
          : sec[1] === 'AUTHORITY'
            ? 'authority'
            : sec[1] === 'ADDITIONAL'
              ? 'additional'
              : undefined;
      continue;
    }
    if (line.startsWith(';') || /^dig:/.test(line)) {
      error = digError(line) ?? error;
      continue;
    }
    // +noall +answer without +comments prints bare records: they are answers.
    const rr = parseRRLine(line);
    if (rr.type === 'OPT') continue;
    res[section ?? 'answers'].push(rr);
  }
  if (res.status === undefined && error) res.error = error;
  return res;
}

export interface AnswerComparison {
  ok: boolean;
  statusOk: boolean;
  /** Expected records dig did not show (`name TYPE data`). */
  missing: string[];
  /** Records dig showed that the zone does not hold (out-of-zone CNAME targets are allowed). */
  unexpected: string[];
}

function rrKey(r: RR): string {
  return `${r.name.toLowerCase()} ${r.type.toUpperCase()} ${r.data.toLowerCase()}`;
}

/**
 * Compares dig's answer with the expected one: same rcode, same records as a set (TTL and order
 * ignored). Past an external CNAME target the records and the rcode come from upstream, so only
 * the in-zone part of the chain is checked.
 */
export function compareAnswer(expected: ExpectedAnswer, got: DigResult): AnswerComparison {
  const want = new Set(expected.answers.map(rrKey));
  const ours = new Set(expected.answers.map((r) => r.name.toLowerCase()));
  const have = new Set(got.answers.filter((r) => !expected.external || ours.has(r.name.toLowerCase())).map(rrKey));
  const unexpected = [...have].filter((k) => !want.has(k));
  const missing = [...want].filter((k) => !have.has(k));
  const statusOk = expected.external ? got.status !== undefined : got.status === expected.status;
  return { ok: statusOk && missing.length === 0 && unexpected.length === 0, statusOk, missing, unexpected };
}
