/**
 * loadbalancer-to-service: from the Internet host to a Service's LoadBalancer IP. The cloud load
 * balancer DNATs each connection to some healthy node's NodePort; its conntrack table says which
 * node got each connection, the backend says who answered and which client it saw.
 *   externalTrafficPolicy Cluster: every node forwards (also one without a backend), SNATed.
 *   externalTrafficPolicy Local: the backend sees the Internet host itself, the LB only uses nodes
 *     whose /healthz says they hold a ready endpoint, and such a node without one drops.
 *   loadBalancerSourceRanges: a client outside the ranges is dropped, one inside is served.
 * outside-to-nodeport: the Internet host reaches a NodePort on every node's public IP.
 */
import { nodeAddresses } from './select';
import { LabModel, NodeModel } from '../model/types';
import { Target } from '../lab/targets';
import { LB_STATE } from '../edge/lb';
import { q } from '../plan/shell';
import { conntrackListArgv, parseConntrack } from './conntrack';
import { internetTarget } from './pod-to-internet';
import { curlArgv, describeCurlFailure, hostOf, parseCurl } from './parse';
import { httpServicePorts, requestsFor, ServicePortRef, svcLabel } from './service-select';
import { PathDef, Probe, ProbeResult, ProbeRunner } from './types';

const ID = 'loadbalancer-to-service';

export interface LbState {
  updated: number;
  services: Record<string, { healthy: string[]; checks: Record<string, { ok: boolean; detail: string; check: string }> }>;
}

/** One line per request: `<curl exit> <local port> <http code> <body>`. */
export function renderPortSweep(url: string, k: number, opts: { timeoutSec?: number; iface?: string } = {}): string {
  const iface = opts.iface ? ` --interface ${q(opts.iface)}` : '';
  return `i=0; while [ $i -lt ${k} ]; do i=$((i+1)); b=$(curl -s -m ${opts.timeoutSec ?? 2}${iface} -w '\\n%{local_port} %{http_code}' ${q(url)}); x=$?; l=$(printf '%s' "$b" | tail -n1); echo "$x $l $(printf '%s' "$b" | head -n1)"; done`;
}

export interface PortSweepLine {
  exit: number;
  localPort: number;
  code: number;
  body: string;
}

export function parsePortSweep(out: string): PortSweepLine[] {
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const f = l.trim().split(/\s+/);
      const ok = Number(f[0]) === 0;
      return { exit: Number(f[0]), localPort: Number(f[1]), code: Number(f[2]), body: ok ? f.slice(3).join(' ') : '' };
    });
}

export function count(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

function lbTarget(model: LabModel): Target {
  return { id: 'lb', container: model.edge!.lb.container };
}

/**
 * The LB's health state once it is fresh and names a healthy node for `entry` (the checker runs
 * every second; right after `lab up` the nodes' health servers may still be starting). After
 * `waitSec` the last state read is returned as it is, for the probe to judge.
 */
async function lbState(r: ProbeRunner, model: LabModel, entry: string, waitSec = 12): Promise<LbState | undefined> {
  const t0 = Date.now();
  let last: LbState | undefined;
  for (;;) {
    const res = await r.sh(lbTarget(model), `date +%s; cat ${LB_STATE} 2>/dev/null`);
    const [now, ...rest] = res.stdout.split('\n');
    try {
      last = JSON.parse(rest.join('\n')) as LbState;
    } catch {
      last = undefined;
    }
    const fresh = last && Number(now) - last.updated <= 3;
    if (fresh && (last!.services[entry]?.healthy.length ?? 0) > 0) return last;
    if (Date.now() - t0 > waitSec * 1000) return last;
    await new Promise((ok) => setTimeout(ok, 300));
  }
}

function entryName(ref: ServicePortRef): string {
  return `${ref.svc.namespace}/${ref.svc.name}${ref.port.name ? `:${ref.port.name}` : ''}`;
}

function result(p: Probe, reason: string | undefined, evidence: Record<string, unknown>): ProbeResult {
  return { path: p.path, name: p.name, from: p.from, to: p.to, ok: !reason, reason, evidence };
}

/** Which node each swept connection went to, from the LB's conntrack (reply source = node IP). */
async function nodesUsed(r: ProbeRunner, model: LabModel, lbIP: string, ports: number[]): Promise<Record<string, number>> {
  const entries = parseConntrack((await r.run(lbTarget(model), conntrackListArgv('tcp', model.edge!.internet.ip, lbIP))).stdout);
  const mine = new Set(ports);
  const names = entries
    .filter((c) => c.orig.sport !== undefined && mine.has(c.orig.sport))
    .map((c) => model.nodes.find((n) => n.ip === c.reply.src)?.name ?? `?${c.reply.src}`);
  return count(names);
}

function spreadProbe(model: LabModel, ref: ServicePortRef): Probe {
  const lbIP = ref.svc.loadBalancerIP!;
  const local = ref.svc.externalTrafficPolicy === 'Local';
  const host = model.edge!.internet.ip;
  const backendNodes = new Set(ref.endpoints.map((e) => e.node));
  const idle = model.nodes.filter((n) => !backendNodes.has(n.name)).map((n) => n.name);
  return {
    path: ID,
    name: local
      ? `internet -> ${svcLabel(ref)} LB ${lbIP}:${ref.port.port} (externalTrafficPolicy Local): client IP kept, only nodes with a backend used`
      : `internet -> ${svcLabel(ref)} LB ${lbIP}:${ref.port.port} (externalTrafficPolicy Cluster): every node forwards${idle.length ? `, ${idle.join(', ')} without a backend too` : ''}`,
    from: 'internet',
    to: `${lbIP}:${ref.port.port}`,
    async run(r) {
      const state = await lbState(r, model, entryName(ref));
      const healthy = state?.services[entryName(ref)]?.healthy ?? [];
      const k = Math.max(requestsFor(ref.endpoints.length), requestsFor(Math.max(healthy.length, 1)), 20);
      const t = internetTarget(model);
      const sweep = parsePortSweep((await r.sh(t, renderPortSweep(`http://${lbIP}:${ref.port.port}/hostname`, k))).stdout);
      const ci = await Promise.all([0, 1, 2, 3, 4, 5].map(() => r.run(t, curlArgv(`http://${lbIP}:${ref.port.port}/clientip`))));
      const seen = [...new Set(ci.map((c) => hostOf(parseCurl(c.stdout, c.exitCode).body)).filter((x): x is string => !!x))];
      const used = await nodesUsed(r, model, lbIP, sweep.map((l) => l.localPort).filter((p) => p > 0));
      const answered = count(sweep.map((l) => (l.exit === 0 && l.code === 200 ? l.body : `(failed: curl exit ${l.exit})`)));
      const backends = ref.endpoints.map((e) => e.podName);
      const failed = sweep.filter((l) => l.exit !== 0 || l.code !== 200).length;
      const missing = backends.filter((b) => !answered[b]);
      const nodeAddrs = new Set(nodeAddresses(model));
      let reason: string | undefined;
      if (!state) reason = 'the load balancer reports no health state (checker not running?)';
      else if (healthy.length === 0) reason = `the load balancer has no healthy node: ${JSON.stringify(state.services[entryName(ref)]?.checks ?? {})}`;
      else if (failed) reason = `${failed} of ${k} connections failed`;
      else if (missing.length) reason = `${k} connections never reached ${missing.join(', ')}`;
      else if (local) {
        const wrong = Object.keys(used).filter((n) => !backendNodes.has(n));
        if (wrong.length) reason = `the load balancer sent connections to ${wrong.join(', ')}, which hold no endpoint`;
        else if (healthy.some((n) => !backendNodes.has(n))) reason = `the load balancer counts ${healthy.join(', ')} healthy, but only ${[...backendNodes].join(', ')} hold endpoints`;
        else if (seen.length !== 1 || seen[0] !== host) reason = `the backend saw ${seen.join(', ') || 'nothing'}, expected the Internet host ${host} (client IP preserved)`;
      } else {
        const unused = model.nodes.map((n) => n.name).filter((n) => !used[n]);
        if (unused.length) reason = `${unused.join(', ')} never got a connection from the load balancer (${k} connections)`;
        else if (seen.some((s) => !nodeAddrs.has(s))) reason = `the backend saw ${seen.join(', ')}: not a node address (externalTrafficPolicy Cluster SNATs at the node)`;
      }
      return result(this, reason, {
        connections: k,
        answeredBy: answered,
        forwardedByNode: used,
        lbHealthy: healthy,
        nodesWithBackend: [...backendNodes],
        backendSawClient: seen,
      });
    },
  };
}

/** ETP Local: a node without a ready endpoint drops NodePort traffic (and its /healthz says 503). */
function localDropProbe(model: LabModel, ref: ServicePortRef, node: NodeModel): Probe {
  const hc = ref.svc.healthCheckNodePort!;
  return {
    path: ID,
    name: `${svcLabel(ref)} (externalTrafficPolicy Local): ${node.name} has no endpoint: /healthz 503 and its NodePort drops`,
    from: 'internet',
    to: `${node.publicIP}:${ref.port.nodePort}`,
    async run(r) {
      const lb = lbTarget(model);
      await lbState(r, model, entryName(ref));
      const [h, c] = await Promise.all([
        r.run(lb, ['curl', '-s', '-m', '2', '-w', '\n__CODE__ %{http_code}', `http://${node.ip}:${hc}/healthz`]),
        r.run(internetTarget(model), curlArgv(`http://${node.publicIP}:${ref.port.nodePort}/hostname`, 2)),
      ]);
      const code = Number(/__CODE__ (\d+)/.exec(h.stdout)?.[1] ?? 0);
      const body = h.stdout.replace(/\n__CODE__.*$/s, '');
      const local = /"localEndpoints": (\d+)/.exec(body)?.[1];
      const o = parseCurl(c.stdout, c.exitCode);
      let reason: string | undefined;
      if (code !== 503) reason = `${node.name}:${hc}/healthz answered ${code || 'nothing'}, expected 503`;
      else if (local !== '0') reason = `/healthz reported localEndpoints ${local}`;
      else if (o.status === 200) reason = `${node.name} answered (${o.body}) instead of dropping`;
      else if (o.curlExit !== 28) reason = `expected a drop (timeout), got ${describeCurlFailure(o)}`;
      return result(this, reason, { healthz: code, localEndpoints: local, nodePort: describeCurlFailure(o) });
    },
  };
}

function rangesProbe(model: LabModel, ref: ServicePortRef): Probe {
  const e = model.edge!;
  const lbIP = ref.svc.loadBalancerIP!;
  const ranges = ref.svc.loadBalancerSourceRanges ?? [];
  const url = `http://${lbIP}:${ref.port.port}/hostname`;
  return {
    path: ID,
    name: `${svcLabel(ref)} LB ${lbIP} honours loadBalancerSourceRanges ${ranges.join(',')}`,
    from: 'internet',
    to: `${lbIP}:${ref.port.port}`,
    async run(r) {
      const t = internetTarget(model);
      await lbState(r, model, entryName(ref));
      const inRange = (ip: string) => ranges.some((c) => cidrHas(c, ip));
      const clients = [e.internet.ip, e.internet.otherClientIP];
      const res = await Promise.all(clients.map((ip) => r.run(t, ['curl', '-s', '-m', '2', '--interface', ip, '-w', '\n__CURL__ %{http_code} :', url])));
      const obs = res.map((x) => parseCurl(x.stdout, x.exitCode));
      const seen: Record<string, string> = {};
      let reason: string | undefined;
      clients.forEach((ip, i) => {
        const o = obs[i];
        seen[ip] = o.status === 200 ? `answered by ${o.body}` : describeCurlFailure(o);
        if (reason) return;
        if (inRange(ip) && o.status !== 200) reason = `${ip} is inside the ranges but was not served (${describeCurlFailure(o)})`;
        if (!inRange(ip) && o.status === 200) reason = `${ip} is outside the ranges but was served by ${o.body}`;
        if (!inRange(ip) && o.status !== 200 && o.curlExit !== 28) reason = `${ip} should be dropped (timeout), got ${describeCurlFailure(o)}`;
      });
      return result(this, reason, { ranges, clients: seen });
    },
  };
}

function cidrHas(cidr: string, ip: string): boolean {
  const [net, len] = cidr.split('/');
  const n = (s: string) => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const size = 2 ** (32 - Number(len));
  return Math.floor(n(ip) / size) === Math.floor(n(net) / size);
}

/** LoadBalancer HTTP ports with an IP and endpoints. */
export function lbRefs(model: LabModel): ServicePortRef[] {
  if (!model.edge) return [];
  return httpServicePorts(model).filter((r) => r.svc.type === 'LoadBalancer' && r.svc.loadBalancerIP && r.port.nodePort && r.endpoints.length > 0);
}

export const loadBalancerToService: PathDef = {
  id: ID,
  title: 'the cloud load balancer spreads Internet clients over the nodes\' NodePorts (Cluster: any node, SNAT; Local: client IP kept, nodes with endpoints only)',
  probes(model) {
    const probes: Probe[] = [];
    const refs = lbRefs(model);
    const plain = refs.filter((r) => !(r.svc.loadBalancerSourceRanges ?? []).length);
    const cluster = plain.find((r) => r.svc.externalTrafficPolicy === 'Cluster');
    const local = plain.find((r) => r.svc.externalTrafficPolicy === 'Local' && r.svc.healthCheckNodePort);
    if (cluster) probes.push(spreadProbe(model, cluster));
    if (local) {
      probes.push(spreadProbe(model, local));
      const backendNodes = new Set(local.endpoints.map((e) => e.node));
      const idle = model.nodes.find((n) => !backendNodes.has(n.name) && n.publicIP);
      if (idle) probes.push(localDropProbe(model, local, idle));
    }
    for (const r of refs.filter((x) => (x.svc.loadBalancerSourceRanges ?? []).length)) probes.push(rangesProbe(model, r));
    return probes;
  },
};

function outsideNodePortProbe(model: LabModel, ref: ServicePortRef, node: NodeModel): Probe {
  const url = `http://${node.publicIP}:${ref.port.nodePort}`;
  const has = ref.endpoints.filter((e) => e.node === node.name).length;
  return {
    path: 'outside-to-nodeport',
    name: `internet -> ${node.name} public ${node.publicIP}:${ref.port.nodePort} (${svcLabel(ref)}, ${has ? `${has} local backend(s)` : 'no local backend'})`,
    from: 'internet',
    to: `${node.publicIP}:${ref.port.nodePort}`,
    async run(r) {
      const t = internetTarget(model);
      const [h, c] = await Promise.all([r.run(t, curlArgv(`${url}/hostname`)), r.run(t, curlArgv(`${url}/clientip`))]);
      const ho = parseCurl(h.stdout, h.exitCode);
      const seen = hostOf(parseCurl(c.stdout, c.exitCode).body);
      const nodeAddrs = new Set(nodeAddresses(model));
      let reason: string | undefined;
      if (ho.status !== 200) reason = `no answer: ${describeCurlFailure(ho)}`;
      else if (!ref.endpoints.some((e) => e.podName === ho.body)) reason = `answered by "${ho.body}", not a backend`;
      else if (!seen || !nodeAddrs.has(seen)) reason = `backend saw ${seen ?? 'nothing'}: expected a node address (externalTrafficPolicy Cluster SNATs)`;
      return result(this, reason, { answeredBy: ho.body, backendSawClient: seen });
    },
  };
}

export const outsideToNodePort: PathDef = {
  id: 'outside-to-nodeport',
  title: 'from the Internet a NodePort answers on every node\'s public IP (the gateway\'s 1:1 NAT), nodes without a backend too',
  probes(model) {
    if (!model.edge) return [];
    const ref = httpServicePorts(model).find(
      (r) => (r.svc.type === 'NodePort' || r.svc.type === 'LoadBalancer') && r.port.nodePort && r.endpoints.length && r.svc.externalTrafficPolicy === 'Cluster' && !(r.svc.loadBalancerSourceRanges ?? []).length,
    );
    if (!ref) return [];
    return model.nodes.filter((n) => n.publicIP).map((n) => outsideNodePortProbe(model, ref, n));
  },
};
