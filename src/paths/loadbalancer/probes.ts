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
import { nodeAddresses } from '../common/select';
import { LabModel, NodeModel } from '../../model/types';
import { Target } from '../../plan/targets';
import { LB_STATE } from '../../edge/lb';
import { FAULT_STORE_FILE, lbDownNodes } from '../../edge/lb-fault';
import { conntrackListArgv, parseConntrack } from '../../observe/conntrack';
import { cidrContainsIp } from '../../net/ipv4';
import { answered, curlArgv, describeCurlFailure, hostOf, parseCurl, portOf } from '../../observe/curl';
import { need, probe } from '../../observe/probe';
import { count, lineAnswered, parseHttpSweep, renderHttpSweep, SweepLine } from '../../observe/sweep';
import { internetTarget } from '../pod-to-internet/probes';
import { httpServicePorts, requestsFor, ServicePortRef, svcLabel } from '../common/service-select';
import { PathDef, Probe, ProbeRunner } from '../common/types';

const ID = 'loadbalancer-to-service';

export { count };

export interface LbState {
  updated: number;
  services: Record<
    string,
    { healthy: string[]; checks: Record<string, { ok: boolean; detail: string; check: string }> }
  >;
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

/** Which node each swept connection went to, from the LB's conntrack (reply source = node IP). */
async function nodesUsed(
  r: ProbeRunner,
  model: LabModel,
  lbIP: string,
  ports: number[],
): Promise<Record<string, number>> {
  const entries = parseConntrack(
    (await r.run(lbTarget(model), conntrackListArgv('tcp', model.edge!.internet.ip, lbIP))).stdout,
  );
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
  const backendNodes = [...new Set(ref.endpoints.map((e) => e.node))];
  const idle = model.nodes.filter((n) => !backendNodes.includes(n.name)).map((n) => n.name);
  const url = `http://${lbIP}:${ref.port.port}`;
  return probe(
    {
      path: ID,
      name: local
        ? `internet -> ${svcLabel(ref)} LB ${lbIP}:${ref.port.port} (externalTrafficPolicy Local): client IP kept, only nodes with a backend used`
        : `internet -> ${svcLabel(ref)} LB ${lbIP}:${ref.port.port} (externalTrafficPolicy Cluster): every node forwards${idle.length ? `, ${idle.join(', ')} without a backend too` : ''}`,
      from: 'internet',
      to: `${lbIP}:${ref.port.port}`,
    },
    async (r) => {
      // Nodes an lb-backend-down fault takes out of the LB (recorded desired state, not observed).
      const down = lbDownNodes(
        (await r.sh({ id: 'vpc', container: model.vpc.container }, `cat ${FAULT_STORE_FILE} 2>/dev/null`)).stdout,
      );
      const state = await lbState(r, model, entryName(ref));
      const healthy = state?.services[entryName(ref)]?.healthy ?? [];
      const k = Math.max(requestsFor(ref.endpoints.length), requestsFor(Math.max(healthy.length, 1)), 20);
      const t = internetTarget(model);
      const sweep: SweepLine[] = parseHttpSweep((await r.sh(t, renderHttpSweep(`${url}/hostname`, k))).stdout);
      const ci = await Promise.all([0, 1, 2, 3, 4, 5].map(() => r.run(t, curlArgv(`${url}/clientip`))));
      const seen = [
        ...new Set(
          ci
            .map((c) => parseCurl(c.stdout, c.exitCode))
            .filter(answered)
            .map((o) => hostOf(o.body)!),
        ),
      ];
      const used = await nodesUsed(
        r,
        model,
        lbIP,
        sweep.map((l) => portOf(l.local)).filter((p): p is number => !!p),
      );
      return { state, healthy, k, sweep, seen, used, down };
    },
    ({ state, healthy, k, sweep, seen, used, down }, ev) => {
      const answeredBy = count(sweep.map((l) => (lineAnswered(l) ? l.body : `(failed: curl exit ${l.exit})`)));
      const forwarding = (local ? backendNodes : model.nodes.map((n) => n.name)).filter((n) => !down.has(n));
      // ETP Local: only the pods on the nodes the LB sends to can answer.
      const backends = ref.endpoints.filter((e) => !local || forwarding.includes(e.node)).map((e) => e.podName);
      const failed = sweep.filter((l) => !lineAnswered(l)).length;
      const missing = backends.filter((b) => !answeredBy[b]);
      const nodeAddrs = new Set(nodeAddresses(model));
      ev.expected.backends = backends;
      ev.expected.nodesWithBackend = backendNodes;
      ev.expected.forwardingNodes = forwarding;
      if (down.size) ev.expected.lbBackendDown = [...down];
      ev.expected.backendSawClient = local ? host : 'a node address (SNAT at the node)';
      ev.observed.connections = sweep.length;
      ev.observed.answeredBy = answeredBy;
      ev.observed.forwardedByNode = used;
      ev.observed.lbHealthy = healthy;
      ev.observed.backendSawClient = seen;
      need(state, 'the load balancer health state (checker not running?)');
      need(
        healthy,
        `a healthy node at the load balancer: ${JSON.stringify(state!.services[entryName(ref)]?.checks ?? {})}`,
      );
      const stillUp = healthy.filter((n) => down.has(n));
      if (stillUp.length)
        return `the load balancer still counts ${stillUp.join(', ')} healthy, whose health checks an lb-backend-down fault drops`;
      need(sweep, `${k} connections through ${lbIP}`);
      if (failed) return `${failed} of ${k} connections failed`;
      if (missing.length) return `${k} connections never reached ${missing.join(', ')}`;
      need(used, `the load balancer's conntrack entries of the ${k} connections (which node got each)`);
      need(seen, 'the client address the backend saw (/clientip)');
      const dropped = Object.keys(used).filter((n) => down.has(n));
      if (dropped.length)
        return `the load balancer sent connections to ${dropped.join(', ')}, which it should have dropped (lb-backend-down)`;
      if (local) {
        const wrong = Object.keys(used).filter((n) => !forwarding.includes(n));
        if (wrong.length) return `the load balancer sent connections to ${wrong.join(', ')}, which hold no endpoint`;
        if (healthy.some((n) => !backendNodes.includes(n)))
          return `the load balancer counts ${healthy.join(', ')} healthy, but only ${backendNodes.join(', ')} hold endpoints`;
        if (seen.length !== 1 || seen[0] !== host)
          return `the backend saw ${seen.join(', ')}, expected the Internet host ${host} (client IP preserved)`;
        return undefined;
      }
      const unused = forwarding.filter((n) => !used[n]);
      if (unused.length) return `${unused.join(', ')} never got a connection from the load balancer (${k} connections)`;
      if (seen.some((s) => !nodeAddrs.has(s)))
        return `the backend saw ${seen.join(', ')}: not a node address (externalTrafficPolicy Cluster SNATs at the node)`;
      return undefined;
    },
  );
}

/** ETP Local: a node without a ready endpoint drops NodePort traffic (and its /healthz says 503). */
function localDropProbe(model: LabModel, ref: ServicePortRef, node: NodeModel): Probe {
  const hc = ref.svc.healthCheckNodePort!;
  const withBackend = model.nodes.find((n) => ref.endpoints.some((e) => e.node === n.name) && n.publicIP);
  return probe(
    {
      path: ID,
      name: `${svcLabel(ref)} (externalTrafficPolicy Local): ${node.name} has no endpoint: /healthz 503 and its NodePort drops`,
      from: 'internet',
      to: `${node.publicIP}:${ref.port.nodePort}`,
    },
    async (r) => {
      const lb = lbTarget(model);
      const inet = internetTarget(model);
      await lbState(r, model, entryName(ref));
      const [h, c, ctl] = await Promise.all([
        r.run(lb, curlArgv(`http://${node.ip}:${hc}/healthz`, 2)),
        r.run(inet, curlArgv(`http://${node.publicIP}:${ref.port.nodePort}/hostname`, 2)),
        // Positive control: the same NodePort on a node with an endpoint answers, so the drop is the policy.
        withBackend
          ? r.run(inet, curlArgv(`http://${withBackend.publicIP}:${ref.port.nodePort}/hostname`, 2))
          : undefined,
      ]);
      return {
        h: parseCurl(h.stdout, h.exitCode),
        c: parseCurl(c.stdout, c.exitCode),
        ctl: ctl ? parseCurl(ctl.stdout, ctl.exitCode) : undefined,
      };
    },
    ({ h, c, ctl }, ev) => {
      const local = /"localEndpoints": *(\d+)/.exec(h.body)?.[1];
      ev.expected.healthz = 503;
      ev.expected.localEndpoints = 0;
      ev.expected.nodePort = 'curl exit 28 (timed out): dropped';
      ev.observed.healthz = h.status || describeCurlFailure(h);
      ev.observed.localEndpoints = local;
      ev.observed.nodePort = answered(c) ? `answered by ${c.body}` : describeCurlFailure(c);
      if (ctl)
        ev.observed.positiveControl = `${withBackend!.name}: ${answered(ctl) ? `answered by ${ctl.body}` : describeCurlFailure(ctl)}`;
      need(h.status || undefined, `an answer from ${node.name}:${hc}/healthz (${describeCurlFailure(h)})`);
      if (h.status !== 503) return `${node.name}:${hc}/healthz answered ${h.status}, expected 503`;
      need(local, '/healthz reporting localEndpoints');
      if (local !== '0') return `/healthz reported localEndpoints ${local}`;
      if (answered(c)) return `${node.name} answered (${c.body}) instead of dropping`;
      if (c.curlExit !== 28) return `expected a drop (timeout), got ${describeCurlFailure(c)}`;
      if (ctl && !answered(ctl))
        return `positive control failed: ${withBackend!.name}'s NodePort does not answer either (${describeCurlFailure(ctl)}), so the timeout proves nothing`;
      return undefined;
    },
  );
}

function rangesProbe(model: LabModel, ref: ServicePortRef): Probe {
  const e = model.edge!;
  const lbIP = ref.svc.loadBalancerIP!;
  const ranges = ref.svc.loadBalancerSourceRanges ?? [];
  const url = `http://${lbIP}:${ref.port.port}/hostname`;
  const clients = [e.internet.ip, e.internet.otherClientIP];
  const inRange = (ip: string) => ranges.some((c) => cidrContainsIp(c, ip));
  return probe(
    {
      path: ID,
      name: `${svcLabel(ref)} LB ${lbIP} honours loadBalancerSourceRanges ${ranges.join(',')}`,
      from: 'internet',
      to: `${lbIP}:${ref.port.port}`,
    },
    async (r) => {
      const t = internetTarget(model);
      await lbState(r, model, entryName(ref));
      const ask = async (ip: string) => {
        const x = await r.run(t, curlArgv(url, { timeoutSec: 2, iface: ip }));
        return parseCurl(x.stdout, x.exitCode);
      };
      const obs = await Promise.all(clients.map(ask));
      // The served client is the positive control: a time-out of it under load says nothing yet, so
      // it is asked once more (and the evidence says so). The dropped client's time-out is the claim.
      const retried: string[] = [];
      for (const [i, ip] of clients.entries())
        if (inRange(ip) && obs[i].curlExit === 28) {
          retried.push(ip);
          obs[i] = await ask(ip);
        }
      return { obs, retried };
    },
    ({ obs, retried }, ev) => {
      if (retried.length) ev.observed.retriedAfterTimeout = retried;
      ev.expected.ranges = ranges;
      ev.expected.clients = Object.fromEntries(clients.map((ip) => [ip, inRange(ip) ? 'served' : 'dropped (timeout)']));
      ev.observed.clients = Object.fromEntries(
        clients.map((ip, i) => [ip, answered(obs[i]) ? `answered by ${obs[i].body}` : describeCurlFailure(obs[i])]),
      );
      // The served client is the positive control: without it a dead LB would "drop" everyone.
      if (!clients.some(inRange))
        return { notApplicable: `no client address of the Internet host lies in ${ranges.join(',')}` };
      for (const [i, ip] of clients.entries()) {
        const o = obs[i];
        if (inRange(ip) && !answered(o))
          return `${ip} is inside the ranges but was not served (${describeCurlFailure(o)})`;
        if (!inRange(ip) && answered(o)) return `${ip} is outside the ranges but was served by ${o.body}`;
        if (!inRange(ip) && o.curlExit !== 28)
          return `${ip} should be dropped (timeout), got ${describeCurlFailure(o)}`;
      }
      return undefined;
    },
  );
}

/** LoadBalancer HTTP ports with an IP and endpoints. */
export function lbRefs(model: LabModel): ServicePortRef[] {
  if (!model.edge) return [];
  return httpServicePorts(model).filter(
    (r) => r.svc.type === 'LoadBalancer' && r.svc.loadBalancerIP && r.port.nodePort && r.endpoints.length > 0,
  );
}

export const loadBalancerToService: PathDef = {
  id: ID,
  title:
    "the cloud load balancer spreads Internet clients over the nodes' NodePorts (Cluster: any node, SNAT; Local: client IP kept, nodes with endpoints only)",
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
    for (const r of refs.filter((x) => (x.svc.loadBalancerSourceRanges ?? []).length))
      probes.push(rangesProbe(model, r));
    return probes;
  },
  uncovered: (model) =>
    model.edge ? 'no LoadBalancer Service with endpoints serving HTTP' : 'the lab has no edge (no cloud load balancer)',
};

function outsideNodePortProbe(model: LabModel, ref: ServicePortRef, node: NodeModel): Probe {
  const url = `http://${node.publicIP}:${ref.port.nodePort}`;
  const has = ref.endpoints.filter((e) => e.node === node.name).length;
  return probe(
    {
      path: 'outside-to-nodeport',
      name: `internet -> ${node.name} public ${node.publicIP}:${ref.port.nodePort} (${svcLabel(ref)}, ${has ? `${has} local backend(s)` : 'no local backend'})`,
      from: 'internet',
      to: `${node.publicIP}:${ref.port.nodePort}`,
    },
    async (r) => {
      const t = internetTarget(model);
      const [h, c] = await Promise.all([r.run(t, curlArgv(`${url}/hostname`)), r.run(t, curlArgv(`${url}/clientip`))]);
      return { h: parseCurl(h.stdout, h.exitCode), c: parseCurl(c.stdout, c.exitCode) };
    },
    ({ h, c }, ev) => {
      const seen = answered(c) ? hostOf(c.body) : undefined;
      const nodeAddrs = nodeAddresses(model);
      ev.expected.backends = ref.endpoints.map((e) => e.podName);
      ev.expected.backendSawClient = 'a node address (externalTrafficPolicy Cluster SNATs)';
      ev.observed.answeredBy = answered(h) ? h.body : describeCurlFailure(h);
      ev.observed.backendSawClient = seen ?? describeCurlFailure(c);
      if (!answered(h)) return `no answer: ${describeCurlFailure(h)}`;
      if (!ref.endpoints.some((e) => e.podName === h.body)) return `answered by "${h.body}", not a backend`;
      need(seen, `the client address the backend saw (/clientip: ${describeCurlFailure(c)})`);
      if (!nodeAddrs.includes(seen!))
        return `backend saw ${seen}: expected a node address (externalTrafficPolicy Cluster SNATs)`;
      return undefined;
    },
  );
}

export const outsideToNodePort: PathDef = {
  id: 'outside-to-nodeport',
  title:
    "from the Internet a NodePort answers on every node's public IP (the gateway's 1:1 NAT), nodes without a backend too",
  probes(model) {
    if (!model.edge) return [];
    const ref = httpServicePorts(model).find(
      (r) =>
        (r.svc.type === 'NodePort' || r.svc.type === 'LoadBalancer') &&
        r.port.nodePort &&
        r.endpoints.length &&
        r.svc.externalTrafficPolicy === 'Cluster' &&
        !(r.svc.loadBalancerSourceRanges ?? []).length,
    );
    if (!ref) return [];
    return model.nodes.filter((n) => n.publicIP).map((n) => outsideNodePortProbe(model, ref, n));
  },
  uncovered: (model) =>
    model.edge
      ? 'no NodePort/LoadBalancer Service (policy Cluster, no source ranges) with endpoints, or no node with a public IP'
      : 'the lab has no edge (no Internet host)',
};
