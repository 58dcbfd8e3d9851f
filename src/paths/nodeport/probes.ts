/**
 * nodeport: a NodePort Service answers on every node's VPC address, also on a node without a
 * backend, which forwards the connection and (externalTrafficPolicy Cluster) masquerades it.
 */
import { LabModel, NodeModel } from '../../model/types';
import { answered, curlArgv, describeCurlFailure, hostOf, parseCurl } from '../../observe/curl';
import { need, probe } from '../../observe/probe';
import { nodeAddresses } from '../common/select';
import { httpServicePorts, ServicePortRef, svcLabel } from '../common/service-select';
import { PathDef, Probe } from '../common/types';

function nodePortProbe(model: LabModel, ref: ServicePortRef, node: NodeModel): Probe {
  const local = ref.endpoints.filter((e) => e.node === node.name).length;
  const url = `http://${node.ip}:${ref.port.nodePort}`;
  const caller = model.subnets.find((s) => s.name === node.subnet)?.gateway;
  const from = { id: 'vpc', container: model.vpc.container };
  return probe(
    {
      path: 'nodeport',
      name: `${svcLabel(ref)} on ${node.name} ${node.ip}:${ref.port.nodePort} (${local ? `${local} local backend(s)` : 'no local backend'})`,
      from: 'vpc',
      to: node.name,
    },
    async (r) => {
      const [h, c] = await Promise.all([
        r.run(from, curlArgv(`${url}/hostname`)),
        r.run(from, curlArgv(`${url}/clientip`)),
      ]);
      return { h: parseCurl(h.stdout, h.exitCode), c: parseCurl(c.stdout, c.exitCode) };
    },
    ({ h, c }, ev) => {
      const backend = model.pods.find((p) => p.name === h.body);
      const seen = answered(c) ? hostOf(c.body) : undefined;
      const addrs = nodeAddresses(model);
      ev.expected.backends = ref.endpoints.map((e) => e.podName);
      ev.expected.serverSawClient = 'a node address (externalTrafficPolicy Cluster masquerades)';
      ev.expected.caller = caller;
      ev.observed.answeredBy = answered(h) ? h.body : describeCurlFailure(h);
      ev.observed.backendNode = backend?.node;
      ev.observed.serverSawClient = seen ?? describeCurlFailure(c);
      if (!answered(h)) return `no answer: ${describeCurlFailure(h)}`;
      if (!backend || !ref.endpoints.some((e) => e.ip === backend.ip)) return `answered by "${h.body}", not a backend`;
      need(seen, `the client address the backend saw (/clientip: ${describeCurlFailure(c)})`);
      if (seen === caller)
        return `backend saw the caller ${seen}: not masqueraded (externalTrafficPolicy Cluster SNATs)`;
      if (!addrs.includes(seen!)) return `backend saw ${seen}, not an address of a node (${addrs.join(', ')})`;
      return undefined;
    },
  );
}

export const nodePort: PathDef = {
  id: 'nodeport',
  title: 'a NodePort answers on every node, including nodes without a backend',
  probes(model) {
    const refs = httpServicePorts(model).filter(
      (r) => r.port.nodePort && r.endpoints.length && r.svc.externalTrafficPolicy === 'Cluster',
    );
    return refs.slice(0, 1).flatMap((ref) => model.nodes.map((n) => nodePortProbe(model, ref, n)));
  },
  uncovered: () => 'no NodePort Service (externalTrafficPolicy Cluster) with endpoints serving HTTP',
};
