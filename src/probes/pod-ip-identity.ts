/**
 * pod-ip-identity: the IP a pod sees on its own eth0 is the IP others see it as (the model's third
 * rule). Each pod asks a server on another node which client address it saw.
 */
import { LabModel, PodModel } from '../model/types';
import { podTarget } from '../lab/targets';
import { curlArgv, describeCurlFailure, hostOf, parseCurl, parseIfaceAddr } from './parse';
import { publicHttpPort, servingPods } from './select';
import { PathDef, Probe } from './types';

function identityProbe(model: LabModel, pod: PodModel, server: PodModel): Probe {
  const t = podTarget(model, pod);
  const s = podTarget(model, server);
  return {
    path: 'pod-ip-identity',
    name: `${pod.name} is ${pod.ip} to itself and to ${server.name}`,
    from: t.id,
    to: s.id,
    async run(r) {
      const [addr, res] = await Promise.all([
        r.run(t, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']),
        r.run(t, curlArgv(`http://${server.ip}:${publicHttpPort(server)}/clientip`)),
      ]);
      const own = parseIfaceAddr(addr.stdout);
      const o = parseCurl(res.stdout, res.exitCode);
      const seen = o.status === 200 ? hostOf(o.body) : undefined;
      const ok = !!own && own === seen;
      return {
        path: this.path, name: this.name, from: t.id, to: s.id, ok,
        reason: ok ? undefined : seen ? `eth0 has ${own}, server saw ${seen}` : `server did not answer: ${describeCurlFailure(o)}`,
        evidence: { eth0: own, serverSawClient: seen },
      };
    },
  };
}

export const podIpIdentity: PathDef = {
  id: 'pod-ip-identity',
  title: 'a pod sees itself with the same IP that others see it with',
  probes(model) {
    const serving = servingPods(model);
    return model.pods.flatMap((p) => {
      // Prefer a server on another node, so the answer crosses the VPC.
      const server = serving.find((s) => s.node !== p.node) ?? serving.find((s) => s !== p);
      return server && p.containers.length > 0 ? [identityProbe(model, p, server)] : [];
    });
  },
};
