/**
 * pod-ip-identity: the IP a pod sees on its own eth0 is the IP others see it as (the model's third
 * rule). Each pod asks a server on another node which client address it saw.
 */
import { LabModel, PodModel } from '../../model/types';
import { podTarget } from '../../plan/targets';
import { answered, curlArgv, describeCurlFailure, hostOf, parseCurl } from '../../observe/curl';
import { need, probe } from '../../observe/probe';
import { parseIfaceAddr } from '../common/parse';
import { identityServer, policyFree, publicHttpPort, servingPods } from '../common/select';
import { isLargeLab } from '../common/service-select';
import { PathDef, Probe } from '../common/types';

function identityProbe(model: LabModel, pod: PodModel, server: PodModel): Probe {
  const t = podTarget(model, pod);
  const s = podTarget(model, server);
  return probe(
    { path: 'pod-ip-identity', name: `${pod.name} is ${pod.ip} to itself and to ${server.name}`, from: t.id, to: s.id },
    async (r) => {
      const ask = () => r.run(t, curlArgv(`http://${server.ip}:${publicHttpPort(server)}/clientip`));
      const [addr, first] = await Promise.all([r.run(t, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']), ask()]);
      // A time-out (curl exit 28) under load says nothing yet: ask once more, and say so. Any other failure is final.
      const retried = parseCurl(first.stdout, first.exitCode).curlExit === 28;
      const res = retried ? await ask() : first;
      return { own: parseIfaceAddr(addr.stdout), http: parseCurl(res.stdout, res.exitCode), retried };
    },
    ({ own, http, retried }, ev) => {
      const seen = answered(http) ? hostOf(http.body) : undefined;
      ev.expected.podIP = pod.ip;
      ev.observed.eth0 = own;
      ev.observed.serverSawClient = seen ?? describeCurlFailure(http);
      if (retried) ev.observed.retriedAfterTimeout = true;
      need(own, `an IPv4 address on ${pod.name}'s eth0`);
      need(seen, `the client address ${server.name} saw (${describeCurlFailure(http)})`);
      if (own !== seen) return `eth0 has ${own}, server saw ${seen}`;
      if (own !== pod.ip) return `eth0 has ${own}, but the pod's IP is ${pod.ip}`;
      return undefined;
    },
  );
}

export const podIpIdentity: PathDef = {
  id: 'pod-ip-identity',
  title: 'a pod sees itself with the same IP that others see it with',
  probes(model) {
    const serving = servingPods(model);
    return model.pods
      .filter((p) => policyFree(model, p))
      .flatMap((p, i) => {
        // A server on another node, so the answer crosses the VPC; in turn in a large lab.
        const server = identityServer(model, serving, p, i, isLargeLab(model));
        return server && p.containers.length > 0 ? [identityProbe(model, p, server)] : [];
      });
  },
  uncovered: () => 'no second pod serves HTTP to ask',
};
