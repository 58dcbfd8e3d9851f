/**
 * pod-to-internet: a pod fetches from the Internet host, which reports the source address it saw:
 * the gateway's public address for the pod's node, after two NATs recorded by conntrack:
 * the node's ip-masq-agent MASQUERADE (pod IP -> node IP) and the gateway's 1:1 SNAT (node IP ->
 * public IP). Also: the Internet DNS answers a pod through the same path.
 */
import { LabModel, NodeModel, PodModel } from '../model/types';
import { podTarget, Target } from '../lab/targets';
import { servingPods } from './select';
import { conntrackListArgv, parseConntrack } from './conntrack';
import { PathDef, Probe } from './types';

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
  return {
    path: ID,
    name: `${pod.name}@${node.name} -> Internet host ${host} sees ${want} (${node.publicIP ? "node's public IP" : "gateway's NAT address"})`,
    from: t.id,
    to: `internet ${host}`,
    async run(r) {
      const res = await r.run(t, ['curl', '-s', '-m', '3', '-w', '\n%{local_port}', `http://${host}/ip`]);
      const [body, lport] = [res.stdout.replace(/\n[^\n]*$/, '').trim(), Number(res.stdout.split('\n').pop())];
      const nodeT = { id: node.name, container: node.container };
      const igwT = { id: 'igw', container: e.igw.container };
      const atNode = parseConntrack((await r.run(nodeT, conntrackListArgv('tcp', pod.ip, host))).stdout).find((c) => c.orig.sport === lport);
      const masqPort = atNode?.reply.dport;
      const atIgw = atNode
        ? parseConntrack((await r.run(igwT, conntrackListArgv('tcp', node.ip, host))).stdout).find((c) => c.orig.sport === masqPort)
        : undefined;
      let reason: string | undefined;
      if (res.exitCode !== 0 || !body) reason = `no answer from the Internet host (curl exit ${res.exitCode})`;
      else if (body === pod.ip) reason = `the Internet host saw the pod IP ${pod.ip}: the node did not masquerade`;
      else if (body === node.ip) reason = `the Internet host saw the node's private IP ${node.ip}: the gateway did not NAT it`;
      else if (body !== want) reason = `the Internet host saw ${body}, expected ${want}`;
      else if (!atNode) reason = `no conntrack entry on ${node.name} for ${pod.ip}:${lport} -> ${host}`;
      else if (atNode.reply.dst !== node.ip) reason = `conntrack on ${node.name}: reply goes to ${atNode.reply.dst}, not the node IP ${node.ip} (no SNAT)`;
      else if (!atIgw) reason = `no conntrack entry on the gateway for ${node.ip}:${masqPort} -> ${host}`;
      else if (atIgw.reply.dst !== want) reason = `conntrack on the gateway: reply goes to ${atIgw.reply.dst}, not ${want}`;
      return {
        path: this.path, name: this.name, from: this.from, to: this.to, ok: !reason, reason,
        evidence: {
          hostSawClient: body,
          podIP: pod.ip,
          nodeIP: node.ip,
          publicIP: want,
          conntrackNode: atNode?.raw,
          conntrackIgw: atIgw?.raw,
        },
      };
    },
  };
}

function dnsProbe(model: LabModel, pod: PodModel): Probe {
  const e = model.edge!;
  const t = podTarget(model, pod);
  const dns = model.internetDns ?? e.internet.ip;
  const name = 'whoami.example.net';
  return {
    path: ID,
    name: `${pod.name}@${pod.node} asks the Internet DNS ${dns} for ${name}, then fetches it by name`,
    from: t.id,
    to: `dns ${dns}`,
    async run(r) {
      const d = await r.run(t, ['dig', '+short', '+time=2', '+tries=2', `@${dns}`, name, 'A']);
      const addr = d.stdout.trim().split('\n').filter(Boolean).pop();
      const c = addr ? await r.run(t, ['curl', '-s', '-m', '3', '--resolve', `${name}:80:${addr}`, `http://${name}/`]) : undefined;
      let host: string | undefined;
      try {
        host = c ? (JSON.parse(c.stdout) as { headers?: Record<string, string> }).headers?.Host : undefined;
      } catch {
        host = undefined;
      }
      let reason: string | undefined;
      if (!addr) reason = `no answer from ${dns} for ${name} (dig exit ${d.exitCode})`;
      else if (addr !== e.internet.ip) reason = `${name} resolved to ${addr}, expected the Internet host ${e.internet.ip}`;
      else if (host !== name) reason = `fetching http://${name}/ failed or the host did not see Host: ${name}`;
      return { path: this.path, name: this.name, from: this.from, to: this.to, ok: !reason, reason, evidence: { answer: addr, hostHeaderSeen: host } };
    },
  };
}

export const podToInternet: PathDef = {
  id: ID,
  title: 'a pod reaches the Internet as its node\'s public IP (node masquerade, then the gateway\'s 1:1 NAT)',
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
};
