/**
 * nodeport: a NodePort Service answers on every node's VPC address, also on a node without a
 * backend, which forwards the connection and (externalTrafficPolicy Cluster) masquerades it.
 */
import { LabModel, NodeModel } from '../model/types';
import { curlArgv, describeCurlFailure, hostOf, parseCurl } from './parse';
import { httpServicePorts, ServicePortRef, svcLabel } from './service-select';
import { PathDef, Probe } from './types';

function nodePortProbe(model: LabModel, ref: ServicePortRef, node: NodeModel): Probe {
  const local = ref.endpoints.filter((e) => e.node === node.name).length;
  const url = `http://${node.ip}:${ref.port.nodePort}`;
  return {
    path: 'nodeport',
    name: `${svcLabel(ref)} on ${node.name} ${node.ip}:${ref.port.nodePort} (${local ? `${local} local backend(s)` : 'no local backend'})`,
    from: 'vpc',
    to: node.name,
    async run(r) {
      const from = { id: 'vpc', container: model.vpc.container };
      const [h, c] = await Promise.all([r.run(from, curlArgv(`${url}/hostname`)), r.run(from, curlArgv(`${url}/clientip`))]);
      const ho = parseCurl(h.stdout, h.exitCode);
      const co = parseCurl(c.stdout, c.exitCode);
      const seen = co.status === 200 ? hostOf(co.body) : undefined;
      const backend = model.pods.find((p) => p.name === ho.body);
      const vpcIp = model.subnets.find((s) => s.name === node.subnet)?.gateway;
      let reason: string | undefined;
      if (ho.status !== 200) reason = `no answer: ${describeCurlFailure(ho)}`;
      else if (!backend || !ref.endpoints.some((e) => e.ip === backend.ip)) reason = `answered by "${ho.body}", not a backend`;
      else if (ref.svc.externalTrafficPolicy === 'Cluster' && seen === vpcIp) reason = `backend saw the caller ${seen}: not masqueraded (externalTrafficPolicy Cluster SNATs)`;
      return {
        path: this.path, name: this.name, from: this.from, to: this.to, ok: !reason, reason,
        evidence: { answeredBy: ho.body, backendNode: backend?.node, serverSawClient: seen, caller: vpcIp },
      };
    },
  };
}

export const nodePort: PathDef = {
  id: 'nodeport',
  title: 'a NodePort answers on every node, including nodes without a backend',
  probes(model) {
    const refs = httpServicePorts(model).filter((r) => r.port.nodePort && r.endpoints.length && r.svc.externalTrafficPolicy === 'Cluster');
    return refs.slice(0, 1).flatMap((ref) => model.nodes.map((n) => nodePortProbe(model, ref, n)));
  },
};
