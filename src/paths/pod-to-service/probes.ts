/**
 * pod-to-service: a Service VIP is load-balanced on the caller's own node by kube-proxy's rules.
 * Every probe reports who answered and the client address the backend saw.
 */
import { LabModel, PodModel } from '../../model/types';
import { podTarget, Target } from '../../plan/targets';
import { answered, curlArgv, curlShell, describeCurlFailure, hostOf, parseCurl } from '../../observe/curl';
import { need, notApplicable, probe } from '../../observe/probe';
import {
  parseHttpSweep,
  parseUdpSweep,
  renderHttpSweep,
  renderUdpSweep,
  splitTally,
  sweepRetries,
  tally,
} from '../../observe/sweep';
import { parseIfaceAddr, parseRouteGet } from '../common/parse';
import { parseReadiness, Readiness, renderReadinessScript } from '../common/readiness';
import { podIngressDevice, publicHttpPort } from '../common/select';
import {
  clientsPerNode,
  distinctNeeded,
  httpServicePorts,
  isLargeLab,
  requestsFor,
  sampledRequests,
  ServicePortRef,
  svcLabel,
  udpServicePorts,
} from '../common/service-select';
import { PathDef, Probe, ProbeRunner } from '../common/types';

const ID = 'pod-to-service';

/** The backends that answer /healthz right now, asked from the client's node: the "ready" ones. */
async function readyBackends(
  r: ProbeRunner,
  model: LabModel,
  client: Target,
  ref: ServicePortRef,
): Promise<{ ready: PodModel[]; readiness: Readiness }> {
  const pods = ref.endpoints.map((e) => model.pods.find((p) => p.ip === e.ip)!);
  const node = { id: 'node', container: client.container };
  const res = await r.sh(node, renderReadinessScript(pods.map((p) => ({ ip: p.ip, port: publicHttpPort(p) ?? 8080 }))));
  const readiness = parseReadiness(res.stdout);
  return { ready: pods.filter((p) => readiness.ready.has(p.ip)), readiness };
}

const vipUrl = (ref: ServicePortRef, path: string) => `http://${ref.svc.clusterIP}:${ref.port.port}${path}`;
const vip = (ref: ServicePortRef) => `${ref.svc.clusterIP}:${ref.port.port}`;
const podName = (model: LabModel, ip: string) => model.pods.find((p) => p.ip === ip)!.name;

/** `sample`: a large lab's further checks send sampledRequests (service-select.ts says what that proves). */
function spreadProbe(model: LabModel, ref: ServicePortRef, client: PodModel, sample = false): Probe {
  const t = podTarget(model, client);
  return probe(
    {
      path: ID,
      name: `${client.name}@${client.node} -> ${svcLabel(ref)} (${vip(ref)}) ${sample ? 'spreads over the ready backends (sampled)' : 'reaches every ready backend'}`,
      from: t.id,
      to: vip(ref),
    },
    async (r) => {
      const { ready, readiness } = await readyBackends(r, model, t, ref);
      const k = sample ? sampledRequests(ready.length) : requestsFor(ready.length);
      // Five failures in a row end the sweep: a dead VIP fails in seconds, not after k timeouts.
      const [sweep, ci] = await Promise.all([
        r.sh(t, renderHttpSweep(vipUrl(ref, '/hostname'), k, { giveUpAfter: 5, retryTimeouts: true })),
        r.run(t, curlArgv(vipUrl(ref, '/clientip'))),
      ]);
      return {
        ready,
        readiness,
        k,
        answers: tally(parseHttpSweep(sweep.stdout)),
        retried: sweepRetries(sweep.stdout),
        client: parseCurl(ci.stdout, ci.exitCode),
      };
    },
    ({ ready, readiness, k, answers, retried, client: ci }, ev) => {
      const { names, failed } = splitTally(answers);
      const seen = answered(ci) ? hostOf(ci.body) : undefined;
      const missing = ready.filter((p) => !answers[p.name]).map((p) => p.name);
      const strangers = names.filter((a) => !ready.some((p) => p.name === a));
      ev.expected.readyBackends = ready.map((p) => `${p.name}@${p.node}`);
      ev.expected.sameNodeBackends = ready.filter((p) => p.node === client.node).map((p) => p.name);
      ev.expected.serverSawClient = client.ip;
      if (readiness.retried.length)
        ev.observed.healthzRetriedAfterTimeout = readiness.retried.map((ip) => podName(model, ip));
      if (readiness.notReady.size)
        ev.observed.notReady = [...readiness.notReady].map(([ip, x]) => `${podName(model, ip)} (curl exit ${x})`);
      ev.observed.requests = Object.values(answers).reduce((a, b) => a + b, 0);
      if (retried) ev.observed.requestsRetriedAfterTimeout = retried;
      ev.observed.backendsReached = `${ready.length - missing.length}/${ready.length}`;
      ev.observed.answeredBy =
        Object.keys(answers).length > 12 ? `${names.length} distinct pods, ${failed} failed` : answers;
      ev.observed.serverSawClient = seen ?? describeCurlFailure(ci);
      need(ready, `a ready backend of ${svcLabel(ref)} (none answered /healthz)`);
      const sent = Object.values(answers).reduce((a, b) => a + b, 0);
      const gaveUp = sent < k ? ` (gave up after 5 failures in a row, of ${k} planned)` : '';
      need(names, `an answer through ${vip(ref)} (${sent} requests${gaveUp})`);
      if (failed) return `${failed} of ${sent} requests through ${vip(ref)} failed${gaveUp}`;
      if (strangers.length) return `answers from outside the ready backends: ${strangers.join(', ')}`;
      const need_ = distinctNeeded(ready.length, k);
      if (ready.length - missing.length < need_)
        return `${k} requests reached ${ready.length - missing.length} of ${ready.length} ready backends (expected at least ${need_}); never: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ' ...' : ''}`;
      need(seen, `the client address the backend saw (/clientip: ${describeCurlFailure(ci)})`);
      if (seen !== client.ip)
        return `backend saw client ${seen}, expected the pod's own IP ${client.ip} (ClusterIP traffic from a pod is not SNATed)`;
      return undefined;
    },
  );
}

/**
 * The address a node masquerades hairpin traffic to, as observed on the node: the primary address
 * of the interface the pod hangs off (cbr0), or in vpc-native mode the source the node's route to
 * the pod names.
 */
function hairpinSourceScript(model: LabModel, backend: PodModel): string {
  return model.cluster.cni === 'vpc-native'
    ? `ip route get ${backend.ip}`
    : `ip -4 -o addr show dev ${podIngressDevice(model, backend)}`;
}

function hairpinProbe(model: LabModel, ref: ServicePortRef, backend: PodModel): Probe {
  const t = podTarget(model, backend);
  const node = model.nodes.find((n) => n.name === backend.node)!;
  const dev = model.cluster.cni === 'vpc-native' ? `the route to ${backend.ip}` : podIngressDevice(model, backend);
  // It stops at the first hit; the bound makes missing itself by chance improbable (< 1e-4).
  const n = ref.endpoints.length;
  const k = n <= 1 ? 10 : Math.ceil(Math.log(1e-4) / Math.log(1 - 1 / n));
  return probe(
    { path: ID, name: `hairpin: ${backend.name} reaches itself through ${svcLabel(ref)}`, from: t.id, to: vip(ref) },
    async (r) => {
      // Two requests on one connection (one DNAT choice): who answered, and which client it saw.
      const script =
        `i=0; while [ $i -lt ${k} ]; do i=$((i+1)); ` +
        `o=$(curl -s -m 2 -w '\\n' ${vipUrl(ref, '/hostname')} ${vipUrl(ref, '/clientip')} | tr '\\n' ' '); ` +
        `set -- $o; if [ "$1" = ${JSON.stringify(backend.name)} ]; then echo "$2"; exit 0; fi; done; echo never`;
      const [out, addr] = await Promise.all([
        r.sh(t, script),
        r.sh({ id: node.name, container: node.container }, hairpinSourceScript(model, backend)),
      ]);
      const nodeAddr =
        model.cluster.cni === 'vpc-native' ? parseRouteGet(addr.stdout).src : parseIfaceAddr(addr.stdout);
      const o = out.stdout.trim();
      return { seen: o === 'never' ? undefined : hostOf(o), never: o === 'never', nodeAddr };
    },
    ({ seen, never, nodeAddr }, ev) => {
      ev.expected.reachesItself = true;
      ev.expected.hairpinSource = `the address of ${dev} on ${node.name}`;
      ev.observed.reachedItself = !never && !!seen;
      ev.observed.hairpinSourceSeen = seen;
      ev.observed.nodeAddress = nodeAddr;
      if (never) return `${k} requests through the VIP never reached ${backend.name} itself`;
      need(seen, `the client address ${backend.name} saw through its own VIP`);
      // kube-proxy masquerades hairpin traffic (KUBE-SEP -s <ep> -j KUBE-MARK-MASQ): the pod sees its node's address on its side.
      if (seen === backend.ip) return `hairpin reached itself but saw its own IP ${seen}: not masqueraded`;
      need(nodeAddr, `the address of ${dev} on ${node.name}`);
      if (seen !== nodeAddr) return `hairpin source ${seen} is not ${node.name}'s ${dev} address ${nodeAddr}`;
      return undefined;
    },
  );
}

function udpProbe(model: LabModel, ref: ServicePortRef, client: PodModel): Probe {
  const t = podTarget(model, client);
  const k = requestsFor(ref.endpoints.length);
  const backends = ref.endpoints.map((e) => podName(model, e.ip));
  return probe(
    {
      path: ID,
      name: `${client.name}@${client.node} -> ${svcLabel(ref)} over UDP (${vip(ref)})`,
      from: t.id,
      to: `${vip(ref)}/udp`,
    },
    async (r) => {
      const [names, clients] = await Promise.all([
        r.sh(t, renderUdpSweep(ref.svc.clusterIP, ref.port.port, 'hostname', k)),
        r.sh(t, renderUdpSweep(ref.svc.clusterIP, ref.port.port, 'clientip', 1)),
      ]);
      const c = parseUdpSweep(clients.stdout)[0];
      return { answers: tally(parseUdpSweep(names.stdout)), seen: c && c.exit === 0 ? hostOf(c.body) : undefined };
    },
    ({ answers, seen }, ev) => {
      const { names, failed } = splitTally(answers);
      ev.expected.backends = backends;
      ev.expected.serverSawClient = client.ip;
      ev.observed.datagrams = k;
      ev.observed.answeredBy = answers;
      ev.observed.serverSawClient = seen;
      need(names, `a UDP answer through ${vip(ref)} (${k} datagrams)`);
      const strangers = names.filter((a) => !backends.includes(a));
      if (strangers.length) return `answers from outside the backends: ${strangers.join(', ')}`;
      if (failed) return `${failed} of ${k} datagrams got no answer`;
      need(seen, 'the UDP client address the backend saw');
      if (seen !== client.ip) return `backend saw UDP client ${seen}, expected ${client.ip}`;
      return undefined;
    },
  );
}

function noEndpointsProbe(model: LabModel, ref: ServicePortRef, client: PodModel): Probe {
  const t = podTarget(model, client);
  return probe(
    { path: ID, name: `${svcLabel(ref)} has no endpoints: connection refused, not dropped`, from: t.id, to: vip(ref) },
    async (r) => {
      const t0 = Date.now();
      const res = await r.run(t, curlArgv(vipUrl(ref, '/hostname'), 3));
      return { o: parseCurl(res.stdout, res.exitCode), ms: Date.now() - t0 };
    },
    ({ o, ms }, ev) => {
      ev.expected.outcome = 'curl exit 7 (connection refused): kube-proxy REJECTs a Service without endpoints';
      ev.observed.outcome = o.curlExit === 0 ? `HTTP ${o.status} ${o.body}` : describeCurlFailure(o);
      ev.observed.elapsedMs = ms;
      if (o.curlExit !== 7) return `expected "connection refused" (REJECT), got ${ev.observed.outcome}`;
      return undefined;
    },
  );
}

function affinityProbe(model: LabModel, ref: ServicePortRef, client: PodModel): Probe {
  const t = podTarget(model, client);
  const meta = {
    path: ID,
    name: `${svcLabel(ref)} sessionAffinity ClientIP keeps ${client.name} on one backend`,
    from: t.id,
    to: vip(ref),
  };
  // With one backend every request lands on it anyway: stickiness proves nothing.
  if (ref.endpoints.length < 2)
    return notApplicable(
      meta,
      `${svcLabel(ref)} has ${ref.endpoints.length} backend: every request lands on it, affinity or not`,
      { backends: ref.endpoints.length },
    );
  const k = 15;
  return probe(
    meta,
    // One at a time: the first connection sets the affinity the next ones must follow.
    async (r) =>
      tally(parseHttpSweep((await r.sh(t, renderHttpSweep(vipUrl(ref, '/hostname'), k, { parallel: 1 }))).stdout)),
    (answers, ev) => {
      const { names, failed } = splitTally(answers);
      ev.expected.backends = ref.endpoints.map((e) => e.podName);
      ev.expected.distinctBackendsSeen = 1;
      ev.expected.timeoutSeconds = ref.svc.affinityTimeoutSeconds;
      ev.observed.requests = k;
      ev.observed.answeredBy = answers;
      need(names, `an answer through ${vip(ref)} (${k} requests)`);
      if (failed) return `${failed} of ${k} requests failed`;
      if (names.length !== 1) return `${k} requests went to ${names.length} backends: ${names.join(', ')}`;
      return undefined;
    },
  );
}

function localPolicyProbe(model: LabModel, ref: ServicePortRef, client: PodModel): Probe {
  const t = podTarget(model, client);
  const local = ref.endpoints.filter((e) => e.node === client.node).map((e) => podName(model, e.ip));
  // Positive control: the client reaches an endpoint directly, so "no answer" through the VIP is the policy, not a dead lab.
  const control = ref.endpoints[0];
  const controlUrl = `http://${control.ip}:${control.port}/hostname`;
  const k = local.length ? requestsFor(local.length) : 3;
  return probe(
    {
      path: ID,
      name: `${svcLabel(ref)} internalTrafficPolicy Local from ${client.node}: ${local.length ? `only ${local.join(', ')}` : 'no local endpoint, fails'}`,
      from: t.id,
      to: vip(ref),
    },
    async (r) => {
      const [sweep, ctl] = await Promise.all([
        r.sh(t, renderHttpSweep(vipUrl(ref, '/hostname'), k, 1)),
        r.sh(t, curlShell(controlUrl, { timeoutSec: 2 })),
      ]);
      return { answers: tally(parseHttpSweep(sweep.stdout)), control: parseCurl(ctl.stdout, ctl.exitCode) };
    },
    ({ answers, control: c }, ev) => {
      const { names, failed } = splitTally(answers);
      ev.expected.localEndpoints = local;
      ev.expected.answers = local.length ? `only ${local.join(', ')}` : 'none (dropped: no local endpoint)';
      ev.observed.requests = k;
      ev.observed.answeredBy = answers;
      ev.observed.positiveControl = answered(c) ? `${control.podName} answered directly` : describeCurlFailure(c);
      if (local.length) {
        need(names, `an answer through ${vip(ref)} although ${client.node} has a local endpoint`);
        const foreign = names.filter((n) => !local.includes(n));
        if (foreign.length) return `answered from other nodes: ${foreign.join(', ')}`;
        if (failed) return `${failed} of ${k} requests failed although ${client.node} has a local endpoint`;
        return undefined;
      }
      if (!answered(c) || c.body !== control.podName)
        return `positive control failed: ${client.name} cannot reach the endpoint ${control.podName} directly (${describeCurlFailure(c)}), so "no answer" through the VIP proves nothing`;
      if (names.length) return `expected no answer (no local endpoint), got ${names.join(', ')}`;
      return undefined;
    },
  );
}

export const podToService: PathDef = {
  id: ID,
  title: "pods reach Services through their VIP, load-balanced on the caller's node",
  probes(model) {
    const probes: Probe[] = [];
    const http = httpServicePorts(model);
    for (const ref of http) {
      const clients = clientsPerNode(model, ref);
      if (ref.endpoints.length === 0) {
        if (clients[0]) probes.push(noEndpointsProbe(model, ref, clients[0]));
      } else if (ref.svc.internalTrafficPolicy === 'Local') {
        for (const c of clients) probes.push(localPolicyProbe(model, ref, c));
      } else if (ref.svc.sessionAffinity === 'ClientIP') {
        if (clients[0]) probes.push(affinityProbe(model, ref, clients[0]));
      } else {
        // Every node's client for the first plain service; one client for each further one. A
        // backend as client would hairpin (masqueraded): the spread is judged from non-backends.
        const first = !probes.some((p) => p.name.includes('reaches every ready backend'));
        const strict = clientsPerNode(model, ref, true);
        // A large lab: every check after the lab's first full one samples (isLargeLab).
        (first ? strict : strict.slice(0, 1)).forEach((c, i) =>
          probes.push(spreadProbe(model, ref, c, isLargeLab(model) && !(first && i === 0))),
        );
      }
    }
    // Hairpin once: the first plain service with a backend.
    const plain = http.find(
      (r) => r.endpoints.length && r.svc.internalTrafficPolicy === 'Cluster' && r.svc.sessionAffinity === 'None',
    );
    if (plain) probes.push(hairpinProbe(model, plain, model.pods.find((p) => p.ip === plain.endpoints[0].ip)!));
    for (const ref of udpServicePorts(model).filter((r) => r.svc.internalTrafficPolicy === 'Cluster')) {
      const c = clientsPerNode(model, ref, true)[0];
      if (c) probes.push(udpProbe(model, ref, c));
    }
    return probes;
  },
  uncovered: () => 'no Service with a selector serves HTTP on its target port',
};
