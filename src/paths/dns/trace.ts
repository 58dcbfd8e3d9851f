/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { podTargetId } from '../../trace/capture-plan';
import { PathUnavailable, TracePathDef } from '../common/trace';
import { backendBranches, FILTER, pickClient, podEth0, podSide, readyEndpoints } from '../common/trace-points';

export const dnsTrace: TracePathDef = {
  id: 'dns',
  title: 'a pod asks the cluster DNS (the kube-dns Service VIP, DNATed to a coredns pod) for a name',
  plan(model, marker) {
    const svc = model.services.find((x) => x.clusterIP === model.cluster.dnsIP);
    const port = svc?.ports.find((p) => p.protocol === 'UDP' && p.port === 53);
    const endpoints = svc && port ? readyEndpoints(model, svc, 53, 'UDP') : [];
    if (!svc || !endpoints.length)
      throw new PathUnavailable(
        this.id,
        `no Service at the cluster DNS address ${model.cluster.dnsIP} with ready UDP 53 endpoints`,
      );
    const client = pickClient(model, endpoints);
    if (!client) throw new PathUnavailable(this.id, 'no pod to ask from');
    // The marker is a label of the name asked: it travels in the query and comes back in the answer.
    const name = `${marker}.default.svc.${model.cluster.domain}`;
    return {
      path: this.id,
      title: this.title,
      from: podTargetId(client),
      to: `${model.cluster.dnsIP}:53 (Service ${svc.namespace}/${svc.name})`,
      probe: ['dig', '+tries=1', '+time=2', `@${model.cluster.dnsIP}`, name, 'A'],
      marker,
      first: { proto: 'udp', dst: model.cluster.dnsIP, dport: 53 },
      points: [podEth0(client), podSide(model, client)],
      branches: backendBranches(model, client, endpoints),
      filter: FILTER,
    };
  },
};
