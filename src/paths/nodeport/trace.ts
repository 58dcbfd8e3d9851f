/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { computeEndpoints } from '../../proxy/endpoints';
import { PathUnavailable, TracePathDef } from '../common/trace';
import { FILTER, http, nodeIn, nodeOf, podEth0, podSide, vpcSide } from '../common/trace-points';

export const nodePortTrace: TracePathDef = {
  id: 'nodeport',
  title: "from outside the cluster (the VPC router) to a node's eth0 address and NodePort",
  plan(model, marker) {
    const slices = computeEndpoints(model);
    for (const svc of model.services) {
      for (const sp of svc.ports.filter((p) => p.nodePort && p.protocol === 'TCP')) {
        const slice = slices.find(
          (x) => x.namespace === svc.namespace && x.service === svc.name && x.port === sp.port && x.protocol === 'TCP',
        );
        const endpoints = (slice?.endpoints ?? []).filter((e) => e.ready);
        if (!endpoints.length) continue;
        // A node without a local endpoint: the request has to be forwarded (and SNATed) to another node.
        const n = model.nodes.find((x) => !endpoints.some((e) => e.node === x.name)) ?? model.nodes[0];
        const branches = endpoints.map((e) => {
          const pod = model.pods.find((p) => p.name === e.podName && p.ip === e.ip);
          const tail = pod ? [podEth0(pod)] : [];
          const side = pod ? podSide(model, pod) : `${e.node}:cbr0`;
          const points = e.node === n.name ? [side, ...tail] : [...nodeIn(model, nodeOf(model, e.node)), side, ...tail];
          return { label: `backend ${e.podName} (${e.ip}:${e.port}) on ${e.node}`, points };
        });
        return {
          path: this.id,
          title: this.title,
          from: model.vpc.name,
          to: `${n.name} ${n.ip}:${sp.nodePort} (Service ${svc.namespace}/${svc.name})`,
          ...http(n.ip, sp.nodePort!, marker),
          points: [vpcSide(model, n), `${n.name}:eth0`],
          branches,
          filter: FILTER,
        };
      }
    }
    throw new PathUnavailable(this.id, 'no NodePort Service with a TCP port and ready endpoints');
  },
};
