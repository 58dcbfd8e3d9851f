/**
 * dns: pods resolve cluster names through the kube-dns VIP. From client pods in two namespaces
 * on different nodes, dig asks over UDP (+notcp) and TCP (+tcp), short names through the pod's
 * search list, for each kind of record the spec requires. Every answer is judged against what
 * the Kubernetes DNS specification 1.1.0 requires for the model and the readiness of the
 * endpoints observed live (src/paths/dns/oracle.ts), never against the zones the lab rendered.
 * Evidence that the query went through the VIP: the client node's conntrack entry for the VIP,
 * whose reply source is a DNS pod.
 */
import type { LabModel, PodModel, ServiceModel } from '../../model/types';
import { podTarget, Target } from '../../plan/targets';
import { isDnsPod } from '../../plan/dns-pod';
import { q } from '../../plan/shell';
import { parseConntrackDnat } from '../../observe/conntrack';
import { describeDig, parseDig } from '../../observe/dig';
import { need, probe } from '../../observe/probe';
import {
  compare,
  describeExpected,
  expectedAnswer,
  podName,
  ptrName,
  readinessPods,
  srvName,
  svcName,
  versionName,
} from './oracle';
import { publicHttpPort, servingPods } from '../common/select';
import { parseReadiness, renderReadinessScript } from '../common/readiness';
import { PathDef, Probe } from '../common/types';

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
  const namespaces = [...new Set(pods.map((p) => p.namespace))].sort((a, b) =>
    a === 'default' ? -1 : b === 'default' ? 1 : a < b ? -1 : 1,
  );
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
  const out: DnsCheck[] = [];
  const svcs = model.services;
  const vip = svcs.filter((s) => s.type !== 'ExternalName' && s.clusterIP !== 'None');
  const own = vip.find((s) => s.namespace === client.namespace) ?? vip.find((s) => s.namespace === 'default') ?? vip[0];
  out.push({ what: 'dns-version TXT', ask: versionName(model), type: 'TXT', fqdn: versionName(model), search: false });
  out.push({
    what: 'kubernetes.default A',
    ask: 'kubernetes.default',
    type: 'A',
    fqdn: svcName(model, 'default', 'kubernetes'),
    search: true,
  });
  if (own)
    out.push({
      what: `service A ${own.namespace}/${own.name} = VIP (short name)`,
      ask: shortName(own, client.namespace),
      type: 'A',
      fqdn: svcName(model, own.namespace, own.name),
      search: true,
    });
  const named = vip.find((s) => s.ports.some((p) => p.name));
  if (named) {
    const p = named.ports.find((x) => x.name)!;
    const n = srvName(model, p.name!, p.protocol, named.namespace, named.name);
    out.push({ what: `SRV ${named.namespace}/${named.name}:${p.name}`, ask: n, type: 'SRV', fqdn: n, search: false });
  }
  // Every headless Service (up to three): its A and SRV answers depend on live readiness.
  for (const headless of svcs
    .filter((s) => s.type !== 'ExternalName' && s.clusterIP === 'None' && s.selector)
    .slice(0, 3)) {
    out.push({
      what: `headless A ${headless.namespace}/${headless.name} = ready pod IPs`,
      ask: shortName(headless, client.namespace),
      type: 'A',
      fqdn: svcName(model, headless.namespace, headless.name),
      search: true,
    });
    const p = headless.ports.find((x) => x.name);
    if (p) {
      const n = srvName(model, p.name!, p.protocol, headless.namespace, headless.name);
      out.push({
        what: `headless SRV ${headless.namespace}/${headless.name}:${p.name}`,
        ask: n,
        type: 'SRV',
        fqdn: n,
        search: false,
      });
    }
  }
  const dnsSvc = vip.find((s) => s.clusterIP === model.cluster.dnsIP) ?? own;
  if (dnsSvc)
    out.push({
      what: `PTR of VIP ${dnsSvc.clusterIP}`,
      ask: ptrName(dnsSvc.clusterIP),
      type: 'PTR',
      fqdn: ptrName(dnsSvc.clusterIP),
      search: false,
    });
  const ext = svcs.find((s) => s.type === 'ExternalName' && s.externalName);
  if (ext)
    out.push({
      what: `ExternalName CNAME ${ext.namespace}/${ext.name} -> ${ext.externalName}`,
      ask: shortName(ext, client.namespace),
      type: 'A',
      fqdn: svcName(model, ext.namespace, ext.name),
      search: true,
    });
  const other =
    model.pods.find((p) => p !== client && p.node !== client.node && !isDnsPod(p)) ??
    model.pods.find((p) => p !== client);
  if (other)
    out.push({
      what: `pod A ${other.namespace}/${other.name}`,
      ask: podName(model, other),
      type: 'A',
      fqdn: podName(model, other),
      search: false,
    });
  const named2 = model.pods.find(
    (p) =>
      p.hostname &&
      p.subdomain &&
      svcs.some((s) => s.namespace === p.namespace && s.name === p.subdomain && s.clusterIP === 'None'),
  );
  if (named2) {
    const n = `${named2.hostname}.${svcName(model, named2.namespace, named2.subdomain!)}`.toLowerCase();
    out.push({ what: `hostname A ${named2.namespace}/${named2.name}`, ask: n, type: 'A', fqdn: n, search: false });
    out.push({
      what: `hostname PTR ${named2.namespace}/${named2.name}`,
      ask: ptrName(named2.ip),
      type: 'PTR',
      fqdn: ptrName(named2.ip),
      search: false,
    });
  }
  return out;
}

export const TRANSPORTS = ['+notcp', '+tcp'] as const;

/**
 * The script run in the client pod: every check over both transports, outputs split by markers.
 * The questions are asked side by side (each dig and its marker into a file of its own, printed in
 * order once all have answered): 22 digs one after the other were the slowest probe of the guide.
 */
export function renderDigScript(checks: DnsCheck[]): string {
  const lines: string[] = ['d=$(mktemp -d)'];
  let n = 0;
  checks.forEach((c, i) => {
    for (const t of TRANSPORTS) {
      lines.push('(');
      lines.push(`echo '@@ ${i} ${t}'`);
      lines.push(
        `dig ${t} ${c.search ? '+search' : '+nosearch'} +noall +comments +answer +time=2 +tries=2 ${q(c.ask)} ${c.type} 2>&1 || true`,
      );
      lines.push(`) > "$d/${String(n++).padStart(4, '0')}" &`);
    }
  });
  lines.push('wait', 'cat "$d"/* 2>/dev/null', 'rm -rf "$d"');
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

function clientProbe(model: LabModel, client: PodModel, dnsPods: PodModel[]): Probe {
  const t: Target = podTarget(model, client);
  const node = model.nodes.find((n) => n.name === client.node)!;
  const vip = model.cluster.dnsIP;
  const checks = dnsChecks(model, client);
  // Endpoints without an HTTP server cannot be asked; they count as ready (and the evidence says so).
  const observable = readinessPods(model).filter((p) => publicHttpPort(p));
  const unobservable = readinessPods(model).filter((p) => !publicHttpPort(p));
  const dnsIps = new Set(dnsPods.map((p) => p.ip));
  return probe(
    {
      path: ID,
      name: `${client.namespace}/${client.name}@${client.node} resolves ${checks.length} names over UDP and TCP via ${vip}`,
      from: t.id,
      to: `${vip}:53`,
    },
    async (r) => {
      const nodeT = { id: node.name, container: node.container };
      const readyOut = observable.length
        ? (await r.sh(nodeT, renderReadinessScript(observable.map((p) => ({ ip: p.ip, port: publicHttpPort(p)! })))))
            .stdout
        : '';
      const dig = await r.sh(t, renderDigScript(checks));
      const ct = await r.sh(nodeT, `conntrack -L -s ${client.ip} -d ${vip} 2>/dev/null; true`);
      return {
        ready: parseReadiness(readyOut).ready,
        outs: splitDigOutputs(dig.stdout),
        dnat: parseConntrackDnat(ct.stdout, vip).filter((e) => e.from === client.ip),
      };
    },
    ({ ready, outs, dnat }, ev) => {
      const isReady = (p: PodModel) => ready.has(p.ip) || unobservable.includes(p);
      const failures: string[] = [];
      const served: Record<string, string> = {};
      const expected: Record<string, string> = {};
      checks.forEach((c, i) => {
        const want = expectedAnswer(model, isReady, c.fqdn, c.type);
        expected[c.what] = want ? describeExpected(want) : '(the spec says nothing)';
        for (const tr of TRANSPORTS) {
          const got = parseDig(outs.get(`${i} ${tr}`) ?? '');
          served[`${c.what} ${tr}`] = describeDig(got);
          if (!want) {
            failures.push(`${c.what}: no expected answer for ${c.fqdn} ${c.type}`);
            continue;
          }
          const cmp = compare(want, got, c.fqdn);
          if (!cmp.ok)
            failures.push(
              `${c.fqdn} ${c.type} (${tr}): expected ${describeExpected(want)}, served ${describeDig(got)} (${cmp.why})`,
            );
        }
      });
      ev.expected.answers = expected;
      ev.expected.readyEndpoints = observable.filter(isReady).map((p) => `${p.namespace}/${p.name}`);
      ev.expected.dnatTo = [...dnsIps];
      ev.observed.answers = served;
      ev.observed.notReady = observable.filter((p) => !isReady(p)).map((p) => `${p.namespace}/${p.name}`);
      ev.observed.conntrack = dnat.map((e) => `${e.proto} ${e.from} -> ${vip}:53 DNAT ${e.to}:53`).slice(0, 4);
      if (unobservable.length)
        ev.expected.assumedReady = unobservable.map((p) => `${p.namespace}/${p.name} (no HTTP to ask)`);
      need(
        Object.values(served).filter((x) => !/no response|timed out|no servers/.test(x)),
        `any DNS answer through ${vip}`,
      );
      const protos = new Set(dnat.filter((e) => dnsIps.has(e.to)).map((e) => e.proto));
      if (!protos.has('udp'))
        failures.push(
          `no conntrack entry on ${node.name} shows UDP ${client.ip} -> ${vip}:53 DNAT'd to a DNS pod (${[...dnsIps].join(', ')})`,
        );
      if (!protos.has('tcp'))
        failures.push(`no conntrack entry on ${node.name} shows TCP ${client.ip} -> ${vip}:53 DNAT'd to a DNS pod`);
      const strangers = dnat.filter((e) => !dnsIps.has(e.to)).map((e) => e.to);
      if (strangers.length)
        failures.push(`the VIP was DNAT'd to non-DNS addresses: ${[...new Set(strangers)].join(', ')}`);
      return failures.join('; ') || undefined;
    },
  );
}

export const dnsPath: PathDef = {
  id: ID,
  title: 'pods resolve Services, headless endpoints, pods, PTR and ExternalName through the kube-dns VIP (UDP and TCP)',
  probes(model) {
    const dnsPods = model.pods.filter(isDnsPod);
    if (!dnsPods.length || model.cluster.dns === false) return [];
    return dnsClients(model).map((c) => clientProbe(model, c, dnsPods));
  },
  uncovered: (model) =>
    model.cluster.dns === false
      ? 'cluster DNS is off (cluster.dns: false)'
      : 'no DNS pod, or no pod with dnsPolicy ClusterFirst serving HTTP to ask from',
};
