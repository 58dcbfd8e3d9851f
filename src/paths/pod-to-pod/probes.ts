/**
 * pod-to-pod: every pod reaches every other pod at its own IP, on one node through cbr0 (L2, no
 * router in between) and across nodes through eth0 and the VPC's route for the pod block.
 */
import { LabModel, PodModel } from '../../model/types';
import { podTarget, Target } from '../../plan/targets';
import { answered, curlArgv, describeCurlFailure, hostOf, HttpObservation, parseCurl } from '../../observe/curl';
import { describePing, parsePing, pingArgv, pingLoss, PingObservation } from '../../observe/ping';
import { Evidence, need, probe } from '../../observe/probe';
import { parseRouteGet } from '../common/parse';
import {
  crossesSubnets,
  crossNodeDevice,
  crossNodePairs,
  podIngressDevice,
  publicHttpPort,
  routersBetween,
  sameNodePairs,
} from '../common/select';
import { PathDef, Probe, ProbeRunner } from '../common/types';
import { judgeVxlan, parseVxlanCapture, renderVxlanCapture, VxlanEvidence } from './vxlan-evidence';

const PING_COUNT = 3;

interface Exchange {
  ping: PingObservation;
  http: HttpObservation;
  client: HttpObservation;
}

async function exchange(r: ProbeRunner, from: Target, to: PodModel): Promise<Exchange> {
  const port = publicHttpPort(to)!;
  const [ping, name, client] = await Promise.all([
    r.run(from, pingArgv(to.ip, PING_COUNT)),
    r.run(from, curlArgv(`http://${to.ip}:${port}/hostname`)),
    r.run(from, curlArgv(`http://${to.ip}:${port}/clientip`)),
  ]);
  return {
    ping: parsePing(ping.stdout + ping.stderr),
    http: parseCurl(name.stdout, name.exitCode),
    client: parseCurl(client.stdout, client.exitCode),
  };
}

/**
 * What every pod-to-pod probe judges: every echo answered with the TTL the routers on the way
 * leave, the right pod answered HTTP, and it saw the caller's own IP.
 */
function judgeExchange(x: Exchange, a: PodModel, b: PodModel, expectedTtl: number, ev: Evidence): string | undefined {
  ev.expected.answeredBy = b.name;
  ev.expected.serverSawClient = a.ip;
  ev.expected.replyTtl = expectedTtl;
  ev.observed.ping = describePing(x.ping);
  ev.observed.replyTtl = x.ping.ttls[0];
  ev.observed.answeredBy = answered(x.http) ? x.http.body : describeCurlFailure(x.http);
  const seen = answered(x.client) ? hostOf(x.client.body) : undefined;
  ev.observed.serverSawClient =
    seen ?? (x.client.curlExit || x.client.status ? describeCurlFailure(x.client) : undefined);
  const loss = pingLoss(x.ping);
  if (loss) return loss;
  if (!answered(x.http)) return `HTTP /hostname: ${describeCurlFailure(x.http)}`;
  if (x.http.body !== b.name) return `answered by "${x.http.body}", expected ${b.name}`;
  need(seen, `the client address ${b.name} saw (/clientip: ${describeCurlFailure(x.client)})`);
  if (seen !== a.ip) return `server saw client ${seen}, expected the pod's own IP ${a.ip} (NAT between pods?)`;
  if (!x.ping.ttls.every((t) => t === expectedTtl))
    return `reply TTLs ${x.ping.ttls.join(',')}, expected ${expectedTtl}`;
  return undefined;
}

function sameNodeProbe(model: LabModel, a: PodModel, b: PodModel): Probe {
  const ta = podTarget(model, a);
  const tb = podTarget(model, b);
  const node = { id: a.node, container: ta.container };
  const native = model.cluster.cni === 'vpc-native';
  // On a bridge one L2 hop: the echo reply keeps the TTL the other pod sent (64). vpc-native: the node routes once.
  const ttl = 64 - routersBetween(model, a, b);
  return probe(
    { path: 'pod-to-pod-same-node', name: `${a.name} -> ${b.name} on ${a.node}`, from: ta.id, to: tb.id },
    async (r) => {
      const x = await exchange(r, ta, b);
      // vpc-native has no bridge: the node routes between the two veths by b's /32 route.
      const route = native
        ? parseRouteGet((await r.run(node, ['ip', 'route', 'get', b.ip, 'from', a.ip, 'iif', a.hostVeth])).stdout)
        : undefined;
      return { x, route };
    },
    ({ x, route }, ev) => {
      const reason = judgeExchange(x, a, b, ttl, ev);
      if (reason || !native) return reason;
      ev.expected.nodeRoute = `${b.ip} dev ${b.hostVeth}`;
      ev.observed.nodeRoute = `${b.ip} dev ${route?.dev ?? '-'}`;
      const dev = need(route?.dev, `node ${a.node}'s route to ${b.ip}`);
      if (dev !== b.hostVeth) return `node ${a.node} routes ${b.ip} via ${dev}, not ${b.name}'s veth ${b.hostVeth}`;
      return undefined;
    },
  );
}

function crossNodeProbe(model: LabModel, a: PodModel, b: PodModel): Probe {
  const ta = podTarget(model, a);
  const tb = podTarget(model, b);
  const node = { id: a.node, container: ta.container };
  const nodeA = model.nodes.find((n) => n.name === a.node)!;
  const nodeB = model.nodes.find((n) => n.name === b.node)!;
  const expect = { outerSrc: nodeA.ip, outerDst: nodeB.ip, innerSrc: a.ip, innerDst: b.ip };
  const dev = crossNodeDevice(model);
  const routers = routersBetween(model, a, b);
  return probe(
    { path: 'pod-to-pod-cross-node', name: `${a.name}@${a.node} -> ${b.name}@${b.node}`, from: ta.id, to: tb.id },
    async (r) => {
      const x = await exchange(r, ta, b);
      // Which way the kernel of a's node sends a packet from a to b (as forwarded from cbr0, or a's veth).
      const iif = podIngressDevice(model, a);
      const route = parseRouteGet((await r.run(node, ['ip', 'route', 'get', b.ip, 'from', a.ip, 'iif', iif])).stdout);
      // vxlan: the packet must leave eth0 wrapped: outer node addresses, UDP 8472, inner pod addresses.
      // The capture keeps only frames whose inner packet is a -> b: this probe's own marker flow.
      let vxlan: VxlanEvidence | undefined;
      if (model.cluster.cni === 'vxlan') {
        const cap = await r.sh(
          node,
          renderVxlanCapture({ netns: a.netns, srcNodeIp: nodeA.ip, dstNodeIp: nodeB.ip, dstPodIp: b.ip }),
        );
        vxlan = parseVxlanCapture(cap.stdout, expect);
      }
      return { x, route, vxlan };
    },
    ({ x, route, vxlan }, ev) => {
      // Each router on the way back (b's node, the VPC router, a's node...) takes one off b's TTL of 64.
      let reason = judgeExchange(x, a, b, 64 - routers, ev);
      ev.expected.routersOnPath = routers;
      ev.observed.routersOnPath = x.ping.ttls[0] !== undefined ? 64 - x.ping.ttls[0] : undefined;
      ev.expected.nodeRoute = `${b.ip} dev ${dev}`;
      ev.observed.nodeRoute = `${b.ip} via ${route.via ?? '-'} dev ${route.dev ?? '-'}`;
      if (vxlan) {
        ev.expected.encapsulation = { outer: `${expect.outerSrc} -> ${expect.outerDst}`, inner: `${a.ip} -> ${b.ip}` };
        ev.observed.encapsulation = {
          frames: vxlan.frames,
          outer: vxlan.outer,
          udpPort: vxlan.udpPort,
          vni: vxlan.vni,
          inner: vxlan.inner,
          innerProto: vxlan.innerProto,
          ...(vxlan.error ? { error: vxlan.error } : {}),
        };
      }
      if (!reason && !route.dev) reason = `nothing observed: node ${a.node}'s route to ${b.ip}`;
      if (!reason && route.dev !== dev) reason = `node ${a.node} routes ${b.ip} via ${route.dev}, not ${dev}`;
      if (!reason && vxlan) reason = judgeVxlan(vxlan, expect);
      // host-gw forced across subnets: say why, not just that it failed.
      if (reason && model.cluster.cni === 'host-gw' && crossesSubnets(model, a, b))
        reason += ` (host-gw across subnets: ${a.node} routes ${nodeB.podCIDR} via ${nodeB.ip}, which is not on its L2 segment ${nodeA.subnet}, so its ARP goes unanswered)`;
      return reason;
    },
  );
}

export const podToPodSameNode: PathDef = {
  id: 'pod-to-pod-same-node',
  title: 'pods on one node talk through the cbr0 bridge',
  probes: (model) => sameNodePairs(model).map(([a, b]) => sameNodeProbe(model, a, b)),
  uncovered: () => 'no node holds two pods that serve HTTP',
};

export const podToPodCrossNode: PathDef = {
  id: 'pod-to-pod-cross-node',
  title: 'pods on different nodes talk through eth0 (VPC route, host-gw route, VXLAN overlay or VPC-native address)',
  probes: (model) => crossNodePairs(model).map(([a, b]) => crossNodeProbe(model, a, b)),
  uncovered: () => 'fewer than two nodes hold a pod that serves HTTP',
};
