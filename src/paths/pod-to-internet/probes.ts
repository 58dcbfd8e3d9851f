/**
 * pod-to-internet: a pod fetches from the Internet host, which reports the source address it saw:
 * the gateway's public address for the pod's node, after two NATs recorded by conntrack:
 * the node's ip-masq-agent MASQUERADE (pod IP -> node IP) and the gateway's 1:1 SNAT (node IP ->
 * public IP). Also: the Internet DNS answers a pod through the same path.
 */
import { LabModel, NodeModel, PodModel } from '../../model/types';
import { podTarget, Target } from '../../plan/targets';
import { servingPods } from '../common/select';
import { conntrackListArgv, parseConntrack } from '../../observe/conntrack';
import { answered, curlArgv, describeCurlFailure, parseCurl, portOf } from '../../observe/curl';
import { need, probe } from '../../observe/probe';
import { PathDef, Probe } from '../common/types';

const ID = 'pod-to-internet';

export function internetTarget(model: LabModel): Target {
  return { id: 'internet', container: model.edge!.internet.container };
}

/** The address the Internet sees for a node: its public IP, else the gateway's own (NAT gateway). */
export function expectedPublicIP(model: LabModel, node: NodeModel): string {
  return node.publicIP ?? model.edge!.natIP;
}

function egressProbe(model: LabModel, pod: PodModel, node: NodeModel): Probe {
  const e = model.edge!;
  const t = podTarget(model, pod);
  const host = e.internet.ip;
  const want = expectedPublicIP(model, node);
  return probe(
    {
      path: ID,
      name: `${pod.name}@${node.name} -> Internet host ${host} sees ${want} (${node.publicIP ? "node's public IP" : "gateway's NAT address"})`,
      from: t.id,
      to: `internet ${host}`,
    },
    async (r) => {
      const res = await r.run(t, curlArgv(`http://${host}/ip`));
      const http = parseCurl(res.stdout, res.exitCode);
      const lport = portOf(http.local);
      const nodeT = { id: node.name, container: node.container };
      const igwT = { id: 'igw', container: e.igw.container };
      const atNode = lport
        ? parseConntrack((await r.run(nodeT, conntrackListArgv('tcp', pod.ip, host))).stdout).find(
            (c) => c.orig.sport === lport,
          )
        : undefined;
      const masqPort = atNode?.reply.dport;
      const atIgw = atNode
        ? parseConntrack((await r.run(igwT, conntrackListArgv('tcp', node.ip, host))).stdout).find(
            (c) => c.orig.sport === masqPort,
          )
        : undefined;
      return { http, lport, atNode, atIgw };
    },
    ({ http, lport, atNode, atIgw }, ev) => {
      const body = answered(http) ? http.body.trim() : undefined;
      ev.expected.hostSawClient = want;
      ev.expected.podIP = pod.ip;
      ev.expected.nodeIP = node.ip;
      ev.observed.hostSawClient = body ?? describeCurlFailure(http);
      ev.observed.conntrackNode = atNode?.raw;
      ev.observed.conntrackIgw = atIgw?.raw;
      need(body, `an answer from the Internet host (${describeCurlFailure(http)})`);
      if (body === pod.ip) return `the Internet host saw the pod IP ${pod.ip}: the node did not masquerade`;
      if (body === node.ip) return `the Internet host saw the node's private IP ${node.ip}: the gateway did not NAT it`;
      if (body !== want) return `the Internet host saw ${body}, expected ${want}`;
      need(atNode, `a conntrack entry on ${node.name} for ${pod.ip}:${lport ?? '?'} -> ${host}`);
      if (atNode!.reply.dst !== node.ip)
        return `conntrack on ${node.name}: reply goes to ${atNode!.reply.dst}, not the node IP ${node.ip} (no SNAT)`;
      need(atIgw, `a conntrack entry on the gateway for ${node.ip}:${atNode!.reply.dport} -> ${host}`);
      if (atIgw!.reply.dst !== want) return `conntrack on the gateway: reply goes to ${atIgw!.reply.dst}, not ${want}`;
      return undefined;
    },
  );
}

function dnsProbe(model: LabModel, pod: PodModel): Probe {
  const e = model.edge!;
  const t = podTarget(model, pod);
  const dns = model.internetDns ?? e.internet.ip;
  const name = 'whoami.example.net';
  return probe(
    {
      path: ID,
      name: `${pod.name}@${pod.node} asks the Internet DNS ${dns} for ${name}, then fetches it by name`,
      from: t.id,
      to: `dns ${dns}`,
    },
    async (r) => {
      const d = await r.run(t, ['dig', '+short', '+time=2', '+tries=2', `@${dns}`, name, 'A']);
      const addr = d.stdout
        .trim()
        .split('\n')
        .filter((l) => /^[0-9.]+$/.test(l))
        .pop();
      const c = addr
        ? await r.run(t, ['curl', '-s', '-m', '3', '--resolve', `${name}:80:${addr}`, `http://${name}/`])
        : undefined;
      let hostHeader: string | undefined;
      try {
        hostHeader = c ? (JSON.parse(c.stdout) as { headers?: Record<string, string> }).headers?.Host : undefined;
      } catch {
        hostHeader = undefined;
      }
      return { addr, digExit: d.exitCode, hostHeader };
    },
    ({ addr, digExit, hostHeader }, ev) => {
      ev.expected.answer = e.internet.ip;
      ev.expected.hostHeaderSeen = name;
      ev.observed.answer = addr;
      ev.observed.hostHeaderSeen = hostHeader;
      need(addr, `an A record for ${name} from ${dns} (dig exit ${digExit})`);
      if (addr !== e.internet.ip) return `${name} resolved to ${addr}, expected the Internet host ${e.internet.ip}`;
      need(hostHeader, `the Host header the Internet host saw when fetching http://${name}/`);
      if (hostHeader !== name) return `the host saw Host: ${hostHeader}, not ${name}`;
      return undefined;
    },
  );
}

export const podToInternet: PathDef = {
  id: ID,
  title: "a pod reaches the Internet as its node's public IP (node masquerade, then the gateway's 1:1 NAT)",
  probes(model) {
    if (!model.edge) return [];
    const probes: Probe[] = [];
    for (const n of model.nodes) {
      const pod = servingPods(model).find((p) => p.node === n.name);
      if (pod) probes.push(egressProbe(model, pod, n));
    }
    const first = servingPods(model)[0];
    if (first) probes.push(dnsProbe(model, first));
    return probes;
  },
  uncovered: (model) => (model.edge ? 'no pod serves HTTP' : 'the lab has no edge (Internet gateway and host)'),
};
