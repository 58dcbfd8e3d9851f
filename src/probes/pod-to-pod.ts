/**
 * pod-to-pod: every pod reaches every other pod at its own IP, on one node through cbr0 (L2, no
 * router in between) and across nodes through eth0 and the VPC's route for the pod block.
 */
import { LabModel, PodModel } from '../model/types';
import { podTarget, Target } from '../lab/targets';
import { curlArgv, describeCurlFailure, hostOf, parseCurl, parseLearnedMacs, parsePing, parseRouteGet } from './parse';
import { crossesSubnets, crossNodeDevice, crossNodePairs, podIngressDevice, publicHttpPort, routersBetween, sameNodePairs } from './select';
import { PathDef, Probe, ProbeRunner } from './types';
import { judgeVxlan, parseVxlanCapture, renderVxlanCapture, VxlanEvidence } from './vxlan-evidence';

const PING_COUNT = 3;

interface Exchange {
  ping: ReturnType<typeof parsePing>;
  http: ReturnType<typeof parseCurl>;
  answeredBy: string;
  serverSawClient?: string;
}

async function exchange(r: ProbeRunner, from: Target, to: PodModel): Promise<Exchange> {
  const port = publicHttpPort(to)!;
  const [ping, name, client] = await Promise.all([
    r.run(from, ['ping', '-c', String(PING_COUNT), '-i', '0.2', '-W', '2', to.ip]),
    r.run(from, curlArgv(`http://${to.ip}:${port}/hostname`)),
    r.run(from, curlArgv(`http://${to.ip}:${port}/clientip`)),
  ]);
  const http = parseCurl(name.stdout, name.exitCode);
  const ci = parseCurl(client.stdout, client.exitCode);
  return {
    ping: parsePing(ping.stdout + ping.stderr),
    http,
    answeredBy: http.body,
    serverSawClient: ci.status === 200 ? hostOf(ci.body) : undefined,
  };
}

/** What every pod-to-pod probe reports: the replies, their TTL, who answered, which client it saw. */
function observed(x: Exchange): Record<string, unknown> {
  return {
    ping: `${x.ping.received}/${x.ping.transmitted} replies from ${x.ping.from.join(',')}`,
    replyTtl: x.ping.ttls[0],
    answeredBy: x.answeredBy,
    serverSawClient: x.serverSawClient,
  };
}

function judge(x: Exchange, a: PodModel, b: PodModel, expectedTtl: number): string | undefined {
  if (x.ping.received === 0) return `ping: 0/${x.ping.transmitted} replies${x.ping.error ? ` (${x.ping.error})` : ''}`;
  if (x.http.status !== 200) return `HTTP /hostname: ${describeCurlFailure(x.http)}`;
  if (x.answeredBy !== b.name) return `answered by "${x.answeredBy}", expected ${b.name}`;
  if (x.serverSawClient !== a.ip) return `server saw client ${x.serverSawClient}, expected the pod's own IP ${a.ip} (NAT between pods?)`;
  if (!x.ping.ttls.every((t) => t === expectedTtl)) return `reply TTLs ${x.ping.ttls.join(',')}, expected ${expectedTtl}`;
  return undefined;
}

function sameNodeProbe(model: LabModel, a: PodModel, b: PodModel): Probe {
  const ta = podTarget(model, a);
  const tb = podTarget(model, b);
  const name = `${a.name} -> ${b.name} on ${a.node}`;
  return {
    path: 'pod-to-pod-same-node',
    name,
    from: ta.id,
    to: tb.id,
    async run(r) {
      const x = await exchange(r, ta, b);
      const node = { id: a.node, container: ta.container };
      if (model.cluster.cni === 'vpc-native') {
        // No bridge: the node routes between the two veths (one router), by b's /32 route.
        const route = parseRouteGet((await r.run(node, ['ip', 'route', 'get', b.ip, 'from', a.ip, 'iif', a.hostVeth])).stdout);
        let reason = judge(x, a, b, 64 - routersBetween(model, a, b));
        if (!reason && route.dev !== b.hostVeth) reason = `node ${a.node} routes ${b.ip} via ${route.dev}, not ${b.name}'s veth ${b.hostVeth}`;
        return {
          path: this.path, name, from: ta.id, to: tb.id, ok: !reason, reason,
          evidence: {
            ...observed(x),
            nodeRoute: `${b.ip} dev ${route.dev ?? '-'}`,
          },
        };
      }
      // The bridge must have learned both pods' MACs on their veths: the frames crossed cbr0.
      const [macA, macB, fdb] = await Promise.all([
        r.run(ta, ['cat', '/sys/class/net/eth0/address']),
        r.run(tb, ['cat', '/sys/class/net/eth0/address']),
        r.run(node, ['bridge', 'fdb', 'show', 'br', 'cbr0']),
      ]);
      const learned = parseLearnedMacs(fdb.stdout);
      const macs = [macA.stdout.trim(), macB.stdout.trim()];
      const crossedBridge = macs.every((m) => learned.includes(m.toLowerCase()));
      // One L2 hop: the echo reply arrives with the TTL the other pod sent (64), no router decremented it.
      let reason = judge(x, a, b, 64);
      if (!reason && !crossedBridge) reason = `cbr0 did not learn ${macs.join(' and ')}`;
      return {
        path: this.path, name, from: ta.id, to: tb.id, ok: !reason, reason,
        evidence: {
          ...observed(x),
          cbr0LearnedMacs: macs.filter((m) => learned.includes(m.toLowerCase())),
        },
      };
    },
  };
}

function crossNodeProbe(model: LabModel, a: PodModel, b: PodModel): Probe {
  const ta = podTarget(model, a);
  const tb = podTarget(model, b);
  const name = `${a.name}@${a.node} -> ${b.name}@${b.node}`;
  return {
    path: 'pod-to-pod-cross-node',
    name,
    from: ta.id,
    to: tb.id,
    async run(r) {
      const node = { id: a.node, container: ta.container };
      const counter = ['cat', '/sys/class/net/eth0/statistics/tx_packets'];
      const before = Number((await r.run(node, counter)).stdout);
      const x = await exchange(r, ta, b);
      const after = Number((await r.run(node, counter)).stdout);
      // Which way the kernel of a's node sends a packet from a to b (as forwarded from cbr0, or a's veth).
      const iif = podIngressDevice(model, a);
      const route = parseRouteGet((await r.run(node, ['ip', 'route', 'get', b.ip, 'from', a.ip, 'iif', iif])).stdout);
      const dev = crossNodeDevice(model);
      // vxlan: the packet must leave eth0 wrapped: outer node addresses, UDP 8472, inner pod addresses.
      let vxlan: VxlanEvidence | undefined;
      const nodeA = model.nodes.find((n) => n.name === a.node)!;
      const nodeB = model.nodes.find((n) => n.name === b.node)!;
      const expect = { outerSrc: nodeA.ip, outerDst: nodeB.ip, innerSrc: a.ip, innerDst: b.ip };
      if (model.cluster.cni === 'vxlan') {
        const cap = await r.sh(node, renderVxlanCapture({ netns: a.netns, srcNodeIp: nodeA.ip, dstNodeIp: nodeB.ip, dstPodIp: b.ip }));
        vxlan = parseVxlanCapture(cap.stdout, expect);
      }
      // Each router on the way back (b's node, the VPC router, a's node...) takes one off b's TTL of 64.
      let reason = judge(x, a, b, 64 - routersBetween(model, a, b));
      if (!reason && route.dev !== dev) reason = `node ${a.node} routes ${b.ip} via ${route.dev}, not ${dev}`;
      if (!reason && after - before < PING_COUNT) reason = `eth0 of ${a.node} sent only ${after - before} packets during the probe`;
      if (!reason && vxlan) reason = judgeVxlan(vxlan, expect);
      // host-gw forced across subnets: say why, not just that it failed.
      if (reason && model.cluster.cni === 'host-gw' && crossesSubnets(model, a, b))
        reason += ` (host-gw across subnets: ${a.node} routes ${nodeB.podCIDR} via ${nodeB.ip}, which is not on its L2 segment ${nodeA.subnet}, so its ARP goes unanswered)`;
      return {
        path: this.path, name, from: ta.id, to: tb.id, ok: !reason, reason,
        evidence: {
          ...observed(x),
          routersOnPath: x.ping.ttls[0] !== undefined ? 64 - x.ping.ttls[0] : undefined,
          nodeRoute: `${b.ip} via ${route.via ?? '-'} dev ${route.dev ?? '-'}`,
          eth0TxPackets: after - before,
          ...(vxlan
            ? {
                encapsulation: {
                  frames: vxlan.frames,
                  outer: vxlan.outer,
                  udpPort: vxlan.udpPort,
                  vni: vxlan.vni,
                  inner: vxlan.inner,
                  innerProto: vxlan.innerProto,
                  ...(vxlan.error ? { error: vxlan.error } : {}),
                },
              }
            : {}),
        },
      };
    },
  };
}

export const podToPodSameNode: PathDef = {
  id: 'pod-to-pod-same-node',
  title: 'pods on one node talk through the cbr0 bridge',
  probes: (model) => sameNodePairs(model).map(([a, b]) => sameNodeProbe(model, a, b)),
};

export const podToPodCrossNode: PathDef = {
  id: 'pod-to-pod-cross-node',
  title: 'pods on different nodes talk through eth0 (VPC route, host-gw route, VXLAN overlay or VPC-native address)',
  probes: (model) => crossNodePairs(model).map(([a, b]) => crossNodeProbe(model, a, b)),
};
