/**
 * dns: pods resolve cluster names through the kube-dns VIP. From client pods in two namespaces
 * on different nodes, dig asks over UDP (+notcp) and TCP (+tcp), short names through the pod's
 * search list, for each kind of record the spec requires; every answer is compared with what the
 * zone files served by the DNS pod say (read back from the pod and parsed, src/dns/expect.ts).
 * Evidence that the query went through the VIP: the client node's conntrack entry for the VIP,
 * whose reply source is a DNS pod.
 */
import type { LabModel, PodModel, ServiceModel } from '../model/types';
import { podTarget, Target } from '../lab/targets';
import { buildIndex, compareAnswer, expectedAnswer, parseDigOutput, DnsIndex, Query } from '../dns/expect';
import { parseZone } from '../dns/parse-zone';
import { fqdn, podFqdn, reverseName, serviceFqdn, srvFqdn } from '../dns/records';
import { dnsZoneFiles, isDnsPod } from '../plan/dns-pod';
import { q } from '../plan/shell';
import { servingPods } from './select';
import { PathDef, Probe, ProbeResult, ProbeRunner } from './types';

const ID = 'dns';

/** One question the probe asks: what dig is given (maybe a short name) and the name it must resolve to. */
export interface DnsCheck {
  what: string;
  /** Name as typed (short names go through the search list). */
  ask: string;
  type: string;
  /** Fully qualified name the answer is for. */
  fqdn: string;
  search: boolean;
}

function clusterFirst(p: PodModel): boolean {
  return (p.dnsPolicy ?? 'ClusterFirst').startsWith('ClusterFirst');
}

/** Clients: one pod per namespace (default first), on distinct nodes where possible, at most two. */
export function dnsClients(model: LabModel): PodModel[] {
  const pods = servingPods(model).filter((p) => clusterFirst(p) && p.namespace !== 'kube-system');
  const namespaces = [...new Set(pods.map((p) => p.namespace))].sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a < b ? -1 : 1));
  const out: PodModel[] = [];
  for (const ns of namespaces) {
    if (out.length >= 2) break;
    const cands = pods.filter((p) => p.namespace === ns);
    const pick = cands.find((p) => !out.some((o) => o.node === p.node)) ?? cands[0];
    if (pick) out.push(pick);
  }
  if (out.length < 2) {
    const other = pods.find((p) => !out.includes(p) && !out.some((o) => o.node === p.node));
    if (other) out.push(other);
  }
  return out;
}

/** The name a client in `from` types for a Service: its short name in its own namespace, `svc.ns` elsewhere. */
function shortName(svc: Pick<ServiceModel, 'name' | 'namespace'>, from: string): string {
  return svc.namespace === from ? svc.name : `${svc.name}.${svc.namespace}`;
}

/** The questions for one client (pure: from the model). */
export function dnsChecks(model: LabModel, client: PodModel): DnsCheck[] {
  const d = model.cluster.domain;
  const out: DnsCheck[] = [];
  const svcs = model.services;
  const vip = svcs.filter((s) => s.type !== 'ExternalName' && s.clusterIP !== 'None');
  const own = vip.find((s) => s.namespace === client.namespace) ?? vip.find((s) => s.namespace === 'default') ?? vip[0];
  out.push({ what: 'dns-version TXT', ask: fqdn(`dns-version.${d}`), type: 'TXT', fqdn: fqdn(`dns-version.${d}`), search: false });
  out.push({ what: 'kubernetes.default A', ask: 'kubernetes.default', type: 'A', fqdn: serviceFqdn('default', 'kubernetes', d), search: true });
  if (own) out.push({ what: `service A ${own.namespace}/${own.name} = VIP (short name)`, ask: shortName(own, client.namespace), type: 'A', fqdn: serviceFqdn(own.namespace, own.name, d), search: true });
  const named = vip.find((s) => s.ports.some((p) => p.name));
  if (named) {
    const p = named.ports.find((x) => x.name)!;
    const n = srvFqdn(p.name!, p.protocol.toLowerCase(), named.namespace, named.name, d);
    out.push({ what: `SRV ${named.namespace}/${named.name}:${p.name}`, ask: n, type: 'SRV', fqdn: n, search: false });
  }
  const headless = svcs.find((s) => s.type !== 'ExternalName' && s.clusterIP === 'None' && s.selector);
  if (headless) {
    out.push({ what: `headless A ${headless.namespace}/${headless.name} = ready pod IPs`, ask: shortName(headless, client.namespace), type: 'A', fqdn: serviceFqdn(headless.namespace, headless.name, d), search: true });
    const p = headless.ports.find((x) => x.name);
    if (p) {
      const n = srvFqdn(p.name!, p.protocol.toLowerCase(), headless.namespace, headless.name, d);
      out.push({ what: `headless SRV ${headless.namespace}/${headless.name}:${p.name}`, ask: n, type: 'SRV', fqdn: n, search: false });
    }
  }
  const dnsSvc = vip.find((s) => s.clusterIP === model.cluster.dnsIP) ?? own;
  if (dnsSvc) out.push({ what: `PTR of VIP ${dnsSvc.clusterIP}`, ask: reverseName(dnsSvc.clusterIP), type: 'PTR', fqdn: reverseName(dnsSvc.clusterIP), search: false });
  const ext = svcs.find((s) => s.type === 'ExternalName' && s.externalName);
  if (ext) out.push({ what: `ExternalName CNAME ${ext.namespace}/${ext.name} -> ${ext.externalName}`, ask: shortName(ext, client.namespace), type: 'A', fqdn: serviceFqdn(ext.namespace, ext.name, d), search: true });
  const other = model.pods.find((p) => p !== client && p.node !== client.node && !isDnsPod(p)) ?? model.pods.find((p) => p !== client);
  if (other) out.push({ what: `pod A ${other.namespace}/${other.name}`, ask: podFqdn(other, d), type: 'A', fqdn: podFqdn(other, d), search: false });
  const named2 = model.pods.find((p) => p.hostname && p.subdomain && svcs.some((s) => s.namespace === p.namespace && s.name === p.subdomain && s.clusterIP === 'None'));
  if (named2) {
    const n = fqdn(`${named2.hostname}.${named2.subdomain}.${named2.namespace}.svc.${d}`);
    out.push({ what: `hostname A ${named2.namespace}/${named2.name}`, ask: n, type: 'A', fqdn: n, search: false });
  }
  return out;
}

export const TRANSPORTS = ['+notcp', '+tcp'] as const;

/** The script run in the client pod: every check over both transports, outputs split by markers. */
export function renderDigScript(checks: DnsCheck[]): string {
  const lines: string[] = [];
  checks.forEach((c, i) => {
    for (const t of TRANSPORTS) {
      lines.push(`echo '@@ ${i} ${t}'`);
      lines.push(`dig ${t} ${c.search ? '+search' : '+nosearch'} +noall +comments +answer +time=2 +tries=2 ${q(c.ask)} ${c.type} 2>&1 || true`);
    }
  });
  return lines.join('\n') + '\n';
}

export function splitDigOutputs(out: string): Map<string, string> {
  const res = new Map<string, string>();
  let key: string | undefined;
  for (const line of out.split('\n')) {
    const m = /^@@ (\d+) (\S+)$/.exec(line.trim());
    if (m) {
      key = `${m[1]} ${m[2]}`;
      res.set(key, '');
      continue;
    }
    if (key) res.set(key, res.get(key)! + line + '\n');
  }
  return res;
}

/** conntrack -L lines -> the reply source (the DNAT target) of entries to the VIP. */
export function parseConntrackDnat(out: string, vip: string): { proto: string; from: string; to: string }[] {
  const res: { proto: string; from: string; to: string }[] = [];
  for (const line of out.split('\n')) {
    const proto = /^(udp|tcp)\b/.exec(line.trim())?.[1];
    const srcs = [...line.matchAll(/src=(\S+)/g)].map((m) => m[1]);
    const dsts = [...line.matchAll(/dst=(\S+)/g)].map((m) => m[1]);
    if (!proto || srcs.length < 2 || dsts[0] !== vip) continue;
    res.push({ proto, from: srcs[0], to: srcs[1] });
  }
  return res;
}

/** Zone texts as served, read back from a DNS pod's files in its node, parsed and indexed. */
async function servedIndex(r: ProbeRunner, model: LabModel, dnsPod: PodModel): Promise<DnsIndex> {
  const node = model.nodes.find((n) => n.name === dnsPod.node)!;
  const files = dnsZoneFiles(model, dnsPod);
  const res = await r.sh({ id: node.name, container: node.container }, files.map((f) => `echo '@@ ${f.origin}'; cat ${q(f.path)}`).join('\n') + '\n');
  const texts = new Map<string, string>();
  let cur: string | undefined;
  for (const line of res.stdout.split('\n')) {
    const m = /^@@ (\S+)$/.exec(line);
    if (m) {
      cur = m[1];
      texts.set(cur, '');
    } else if (cur) texts.set(cur, texts.get(cur)! + line + '\n');
  }
  return buildIndex(files.map((f) => parseZone(texts.get(f.origin) ?? '', { origin: f.origin })));
}

function result(p: Probe, ok: boolean, evidence: Record<string, unknown>, reason?: string): ProbeResult {
  return { path: p.path, name: p.name, from: p.from, to: p.to, ok, evidence, reason: ok ? undefined : reason };
}

function clientProbe(model: LabModel, client: PodModel, dnsPods: PodModel[]): Probe {
  const t: Target = podTarget(model, client);
  const node = model.nodes.find((n) => n.name === client.node)!;
  const vip = model.cluster.dnsIP;
  const checks = dnsChecks(model, client);
  return {
    path: ID,
    name: `${client.namespace}/${client.name}@${client.node} resolves ${checks.length} names over UDP and TCP via ${vip}`,
    from: t.id,
    to: `${vip}:53`,
    async run(r) {
      const index = await servedIndex(r, model, dnsPods[0]);
      const dig = await r.sh(t, renderDigScript(checks));
      const outs = splitDigOutputs(dig.stdout);
      const ct = await r.sh({ id: node.name, container: node.container }, `conntrack -L -s ${client.ip} -d ${vip} 2>/dev/null; true`);
      const dnat = parseConntrackDnat(ct.stdout, vip).filter((e) => e.from === client.ip);
      const dnsIps = new Set(dnsPods.map((p) => p.ip));
      const failures: string[] = [];
      const answers: Record<string, string> = {};
      checks.forEach((c, i) => {
        const want = expectedAnswer(index, { name: c.fqdn, type: c.type } as Query);
        for (const tr of TRANSPORTS) {
          const got = parseDigOutput(outs.get(`${i} ${tr}`) ?? '');
          const shown = got.error ?? `${got.status} ${got.answers.map((a) => `${a.type} ${a.data}`).join(', ') || '(no records)'}`;
          answers[`${c.what} ${tr}`] = shown;
          if (!want) {
            failures.push(`${c.what}: the served zones do not hold ${c.fqdn}`);
            continue;
          }
          const cmp = compareAnswer(want, got);
          if (!cmp.ok) failures.push(`${c.what} (${tr}): ${got.error ?? `status ${got.status} (want ${want.status})`}${cmp.missing.length ? `; missing ${cmp.missing.join(', ')}` : ''}${cmp.unexpected.length ? `; unexpected ${cmp.unexpected.join(', ')}` : ''}`);
        }
      });
      const protos = new Set(dnat.filter((e) => dnsIps.has(e.to)).map((e) => e.proto));
      if (!protos.has('udp')) failures.push(`no conntrack entry on ${node.name} shows UDP ${client.ip} -> ${vip}:53 DNAT'd to a DNS pod (${[...dnsIps].join(', ')})`);
      if (!protos.has('tcp')) failures.push(`no conntrack entry on ${node.name} shows TCP ${client.ip} -> ${vip}:53 DNAT'd to a DNS pod`);
      const strangers = dnat.filter((e) => !dnsIps.has(e.to)).map((e) => e.to);
      if (strangers.length) failures.push(`the VIP was DNAT'd to non-DNS addresses: ${[...new Set(strangers)].join(', ')}`);
      return result(
        this,
        failures.length === 0,
        {
          answers,
          conntrack: dnat.map((e) => `${e.proto} ${e.from} -> ${vip}:53 DNAT ${e.to}:53`).slice(0, 4),
          servedSerial: index.zones[0]?.byName.get(index.zones[0].origin)?.find((x) => x.type === 'SOA')?.data.split(' ')[2],
        },
        failures.join('; '),
      );
    },
  };
}

export const dnsPath: PathDef = {
  id: ID,
  title: 'pods resolve Services, headless endpoints, pods, PTR and ExternalName through the kube-dns VIP (UDP and TCP)',
  probes(model) {
    const dnsPods = model.pods.filter(isDnsPod);
    if (!dnsPods.length || model.cluster.dns === false) return [];
    return dnsClients(model).map((c) => clientProbe(model, c, dnsPods));
  },
};
