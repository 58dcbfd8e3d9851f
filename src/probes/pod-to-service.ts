/**
 * pod-to-service: a Service VIP is load-balanced on the caller's own node by kube-proxy's rules.
 * Every probe reports who answered and the client address the backend saw.
 */
import { LabModel, PodModel } from '../model/types';
import { podTarget, Target } from '../lab/targets';
import { curlArgv, describeCurlFailure, hostOf, parseCurl } from './parse';
import { clientsPerNode, distinctNeeded, httpServicePorts, requestsFor, ServicePortRef, svcLabel, udpServicePorts } from './service-select';
import { parseHttpSweep, parseUdpSweep, renderHttpSweep, renderUdpSweep, tally } from './sweep';
import { PathDef, Probe, ProbeResult, ProbeRunner } from './types';

const ID = 'pod-to-service';

function result(p: Probe, ok: boolean, evidence: Record<string, unknown>, reason?: string): ProbeResult {
  return { path: p.path, name: p.name, from: p.from, to: p.to, ok, evidence, reason: ok ? undefined : reason };
}

/** The backends that answer /healthz right now, asked from the client's node: the "ready" ones. */
async function readyBackends(r: ProbeRunner, model: LabModel, client: Target, ref: ServicePortRef): Promise<PodModel[]> {
  const pods = ref.endpoints.map((e) => model.pods.find((p) => p.ip === e.ip)!);
  const node = { id: 'node', container: client.container };
  const script = pods
    .map((p) => {
      const port = p.containers.find((c) => c.httpPort && c.bind !== '127.0.0.1')?.httpPort ?? 8080;
      return `curl -fs -m 1 -o /dev/null http://${p.ip}:${port}/healthz && echo ${p.ip}`;
    })
    .join('; ');
  const res = await r.sh(node, script + '; true');
  const up = new Set(res.stdout.split('\n').map((l) => l.trim()));
  return pods.filter((p) => up.has(p.ip));
}

const vipUrl = (ref: ServicePortRef, path: string) => `http://${ref.svc.clusterIP}:${ref.port.port}${path}`;

function spreadProbe(model: LabModel, ref: ServicePortRef, client: PodModel): Probe {
  const t = podTarget(model, client);
  return {
    path: ID,
    name: `${client.name}@${client.node} -> ${svcLabel(ref)} (${ref.svc.clusterIP}:${ref.port.port}) reaches every ready backend`,
    from: t.id,
    to: `${ref.svc.clusterIP}:${ref.port.port}`,
    async run(r) {
      const ready = await readyBackends(r, model, t, ref);
      const k = requestsFor(ready.length);
      const [sweep, ci] = await Promise.all([
        r.sh(t, renderHttpSweep(vipUrl(ref, '/hostname'), k)),
        r.run(t, curlArgv(vipUrl(ref, '/clientip'))),
      ]);
      const answers = tally(parseHttpSweep(sweep.stdout));
      const seen = hostOf(parseCurl(ci.stdout, ci.exitCode).body);
      const missing = ready.filter((p) => !answers[p.name]).map((p) => p.name);
      const strangers = Object.keys(answers).filter((a) => !ready.some((p) => p.name === a));
      const local = ready.filter((p) => p.node === client.node).map((p) => p.name);
      let reason: string | undefined;
      if (ready.length === 0) reason = 'no backend of the service is ready';
      else if (ready.length - missing.length < distinctNeeded(ready.length, k)) {
        reason = `${k} requests reached ${ready.length - missing.length} of ${ready.length} ready backends (expected at least ${distinctNeeded(ready.length, k)}); never: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ' ...' : ''}`;
      }
      else if (strangers.length) reason = `answers from outside the ready backends: ${strangers.join(', ')}`;
      else if (seen !== client.ip) reason = `backend saw client ${seen}, expected the pod's own IP ${client.ip} (ClusterIP traffic from a pod is not SNATed)`;
      return result(this, !reason, {
        requests: k,
        backendsReached: `${ready.length - missing.length}/${ready.length}`,
        answeredBy: Object.keys(answers).length > 12 ? `${Object.keys(answers).length} distinct pods` : answers,
        readyBackends: ready.map((p) => `${p.name}@${p.node}`),
        sameNodeBackends: local,
        serverSawClient: seen,
      }, reason);
    },
  };
}

function hairpinProbe(model: LabModel, ref: ServicePortRef, backend: PodModel): Probe {
  const t = podTarget(model, backend);
  const node = model.nodes.find((n) => n.name === backend.node)!;
  return {
    path: ID,
    name: `hairpin: ${backend.name} reaches itself through ${svcLabel(ref)}`,
    from: t.id,
    to: `${ref.svc.clusterIP}:${ref.port.port}`,
    async run(r) {
      // Two requests on one connection (one DNAT choice): who answered, and which client it saw.
      // It stops at the first hit; the bound makes missing itself by chance improbable (< 1e-4).
      const n = ref.endpoints.length;
      const k = n <= 1 ? 10 : Math.ceil(Math.log(1e-4) / Math.log(1 - 1 / n));
      const script =
        `i=0; while [ $i -lt ${k} ]; do i=$((i+1)); ` +
        `o=$(curl -s -m 2 -w '\\n' ${vipUrl(ref, '/hostname')} ${vipUrl(ref, '/clientip')} | tr '\\n' ' '); ` +
        `set -- $o; if [ "$1" = ${JSON.stringify(backend.name)} ]; then echo "$2"; exit 0; fi; done; echo never`;
      const out = (await r.sh(t, script)).stdout.trim();
      const seen = out === 'never' ? undefined : hostOf(out);
      let reason: string | undefined;
      if (!seen) reason = `${k} requests through the VIP never reached ${backend.name} itself`;
      // kube-proxy masquerades hairpin traffic (KUBE-SEP -s <ep> -j KUBE-MARK-MASQ): the pod sees its node's cbr0 address.
      else if (seen === backend.ip) reason = `hairpin reached itself but saw its own IP ${seen}: not masqueraded`;
      return result(this, !reason, { reachedItself: !!seen, hairpinSourceSeen: seen ?? '-', nodeCbr0: node.cbr0IP }, reason);
    },
  };
}

function udpProbe(model: LabModel, ref: ServicePortRef, client: PodModel): Probe {
  const t = podTarget(model, client);
  return {
    path: ID,
    name: `${client.name}@${client.node} -> ${svcLabel(ref)} over UDP (${ref.svc.clusterIP}:${ref.port.port})`,
    from: t.id,
    to: `${ref.svc.clusterIP}:${ref.port.port}/udp`,
    async run(r) {
      const k = requestsFor(ref.endpoints.length);
      const [names, clients] = await Promise.all([
        r.sh(t, renderUdpSweep(ref.svc.clusterIP, ref.port.port, 'hostname', k)),
        r.sh(t, renderUdpSweep(ref.svc.clusterIP, ref.port.port, 'clientip', 1)),
      ]);
      const answers = tally(parseUdpSweep(names.stdout));
      const seen = hostOf(parseUdpSweep(clients.stdout)[0]?.body);
      const backends = ref.endpoints.map((e) => model.pods.find((p) => p.ip === e.ip)!.name);
      const strangers = Object.keys(answers).filter((a) => !backends.includes(a));
      let reason: string | undefined;
      if (Object.keys(answers).length === 0 || strangers.length === Object.keys(answers).length) reason = `no UDP answer through the VIP (${JSON.stringify(answers)})`;
      else if (strangers.length) reason = `answers from outside the backends: ${strangers.join(', ')}`;
      else if (seen !== client.ip) reason = `backend saw UDP client ${seen}, expected ${client.ip}`;
      return result(this, !reason, { datagrams: k, answeredBy: answers, serverSawClient: seen }, reason);
    },
  };
}

function noEndpointsProbe(model: LabModel, ref: ServicePortRef, client: PodModel): Probe {
  const t = podTarget(model, client);
  return {
    path: ID,
    name: `${svcLabel(ref)} has no endpoints: connection refused, not dropped`,
    from: t.id,
    to: `${ref.svc.clusterIP}:${ref.port.port}`,
    async run(r) {
      const t0 = Date.now();
      const res = await r.run(t, curlArgv(vipUrl(ref, '/hostname'), 3));
      const ms = Date.now() - t0;
      const o = parseCurl(res.stdout, res.exitCode);
      const ok = o.curlExit === 7;
      return result(this, ok, { outcome: describeCurlFailure(o), elapsedMs: ms }, `expected "connection refused" (REJECT), got ${describeCurlFailure(o)}`);
    },
  };
}

function affinityProbe(model: LabModel, ref: ServicePortRef, client: PodModel): Probe {
  const t = podTarget(model, client);
  return {
    path: ID,
    name: `${svcLabel(ref)} sessionAffinity ClientIP keeps ${client.name} on one backend`,
    from: t.id,
    to: `${ref.svc.clusterIP}:${ref.port.port}`,
    async run(r) {
      const sweep = await r.sh(t, renderHttpSweep(vipUrl(ref, '/hostname'), 15));
      const answers = tally(parseHttpSweep(sweep.stdout));
      const names = Object.keys(answers);
      const ok = names.length === 1 && !names[0].startsWith('(failed');
      return result(this, ok, { requests: 15, answeredBy: answers, timeoutSeconds: ref.svc.affinityTimeoutSeconds }, `15 requests went to ${names.length} backends: ${names.join(', ')}`);
    },
  };
}

function localPolicyProbe(model: LabModel, ref: ServicePortRef, client: PodModel): Probe {
  const t = podTarget(model, client);
  const local = ref.endpoints.filter((e) => e.node === client.node).map((e) => model.pods.find((p) => p.ip === e.ip)!.name);
  return {
    path: ID,
    name: `${svcLabel(ref)} internalTrafficPolicy Local from ${client.node}: ${local.length ? `only ${local.join(', ')}` : 'no local endpoint, fails'}`,
    from: t.id,
    to: `${ref.svc.clusterIP}:${ref.port.port}`,
    async run(r) {
      const k = local.length ? requestsFor(local.length) : 3;
      const sweep = await r.sh(t, renderHttpSweep(vipUrl(ref, '/hostname'), k, 1));
      const answers = tally(parseHttpSweep(sweep.stdout));
      const names = Object.keys(answers).filter((n) => !n.startsWith('(failed'));
      let reason: string | undefined;
      if (local.length) {
        const foreign = names.filter((n) => !local.includes(n));
        if (foreign.length) reason = `answered from other nodes: ${foreign.join(', ')}`;
        else if (names.length === 0) reason = 'no answer although the node has a local endpoint';
      } else if (names.length) reason = `expected no answer (no local endpoint), got ${names.join(', ')}`;
      return result(this, !reason, { requests: k, answeredBy: answers, localEndpoints: local }, reason);
    },
  };
}

export const podToService: PathDef = {
  id: ID,
  title: 'pods reach Services through their VIP, load-balanced on the caller\'s node',
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
        // Every node's client for the first plain service; one client for each further one.
        const first = !probes.some((p) => p.name.includes('reaches every ready backend'));
        for (const c of first ? clients : clients.slice(0, 1)) probes.push(spreadProbe(model, ref, c));
      }
    }
    // Hairpin once: the first plain service with a backend.
    const plain = http.find((r) => r.endpoints.length && r.svc.internalTrafficPolicy === 'Cluster' && r.svc.sessionAffinity === 'None');
    if (plain) probes.push(hairpinProbe(model, plain, model.pods.find((p) => p.ip === plain.endpoints[0].ip)!));
    for (const ref of udpServicePorts(model).filter((r) => r.svc.internalTrafficPolicy === 'Cluster')) {
      const c = clientsPerNode(model, ref)[0];
      if (c) probes.push(udpProbe(model, ref, c));
    }
    return probes;
  },
};
