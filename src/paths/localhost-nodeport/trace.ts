/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { computeEndpoints } from '../../proxy/endpoints';
import { PathUnavailable, TracePathDef } from '../common/trace';
import { FILTER, http, nodeIn, nodeOf, podEth0, podSide } from '../common/trace-points';

export const localhostNodePortTrace: TracePathDef = {
  id: 'localhost-nodeport',
  title: "from a node to 127.0.0.1:<nodePort> (iptables mode: route_localnet, DNAT'd in OUTPUT and masqueraded)",
  plan(model, marker) {
    if (model.cluster.proxy !== 'iptables') {
      throw new PathUnavailable(
        this.id,
        `kube-proxy's ${model.cluster.proxy} mode serves no NodePorts on 127.0.0.1 (the connection is refused on lo: nothing to follow)`,
      );
    }
    const slices = computeEndpoints(model);
    for (const svc of model.services) {
      for (const sp of svc.ports.filter((p) => p.nodePort && p.protocol === 'TCP')) {
        const slice = slices.find(
          (x) => x.namespace === svc.namespace && x.service === svc.name && x.port === sp.port && x.protocol === 'TCP',
        );
        const endpoints = (slice?.endpoints ?? []).filter((e) => e.ready);
        if (!endpoints.length) continue;
        const n = model.nodes[0];
        const branches = endpoints.map((e) => {
          const pod = model.pods.find((p) => p.name === e.podName && p.ip === e.ip);
          const tail = pod ? [podEth0(pod)] : [];
          const side = pod ? podSide(model, pod) : `${e.node}:cbr0`;
          const points =
            e.node === n.name
              ? [side, ...tail]
              : [`${n.name}:eth0`, ...nodeIn(model, nodeOf(model, e.node)), side, ...tail];
          return { label: `backend ${e.podName} (${e.ip}:${e.port}) on ${e.node}`, points };
        });
        return {
          path: this.id,
          title: this.title,
          from: n.name,
          to: `127.0.0.1:${sp.nodePort} on ${n.name} (Service ${svc.namespace}/${svc.name})`,
          ...http('127.0.0.1', sp.nodePort!, marker),
          // OUTPUT's DNAT happens before routing: the request never crosses lo, it leaves through
          // cbr0 (a local backend) or eth0 (a remote one), so every point is a branch's.
          points: [],
          branches,
          filter: FILTER,
        };
      }
    }
    throw new PathUnavailable(this.id, 'no NodePort Service with a TCP port and ready endpoints');
  },
};
