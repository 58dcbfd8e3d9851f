/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { PathUnavailable, TracePathDef } from '../common/trace';
import { edgeOf, FILTER, fromInternet, http, readyEndpoints, viaNodesToEndpoints } from '../common/trace-points';

export const outsideToNodePortTrace: TracePathDef = {
  id: 'outside-to-nodeport',
  title: "from the Internet to a node's public IP and NodePort: the gateway maps it to the node, kube-proxy to a pod",
  plan(model, marker) {
    const e = edgeOf(model, this.id);
    for (const svc of model.services) {
      for (const sp of svc.ports.filter((p) => p.nodePort && p.protocol === 'TCP')) {
        const endpoints = readyEndpoints(model, svc, sp.port, 'TCP');
        const publicNodes = model.nodes.filter((n) => n.publicIP);
        if (!endpoints.length || !publicNodes.length) continue;
        // A node without a local endpoint, so the request is forwarded (and SNATed) to another node.
        const n = publicNodes.find((x) => !endpoints.some((ep) => ep.node === x.name)) ?? publicNodes[0];
        return {
          path: this.id,
          title: this.title,
          from: e.internet.name,
          to: `${n.name} public ${n.publicIP}:${sp.nodePort} (Service ${svc.namespace}/${svc.name})`,
          ...http(n.publicIP!, sp.nodePort!, marker),
          points: fromInternet(model, this.id),
          branches: viaNodesToEndpoints(model, [n], endpoints),
          filter: FILTER,
        };
      }
    }
    throw new PathUnavailable(this.id, 'no node with a public IP and a NodePort Service with ready endpoints');
  },
};

export const loadBalancerToServiceTrace: TracePathDef = {
  id: 'loadbalancer-to-service',
  title: 'from the Internet to a LoadBalancer IP: the load balancer DNATs to a node NodePort, kube-proxy to a pod',
  plan(model, marker) {
    const e = edgeOf(model, this.id);
    for (const svc of model.services.filter((x) => x.type === 'LoadBalancer' && x.loadBalancerIP)) {
      for (const sp of svc.ports.filter((p) => p.protocol === 'TCP' && p.nodePort)) {
        const endpoints = readyEndpoints(model, svc, sp.port, 'TCP');
        if (!endpoints.length) continue;
        return {
          path: this.id,
          title: this.title,
          from: e.internet.name,
          to: `LoadBalancer ${svc.loadBalancerIP}:${sp.port} (Service ${svc.namespace}/${svc.name})`,
          ...http(svc.loadBalancerIP!, sp.port, marker),
          points: fromInternet(model, this.id, e.lb),
          branches: viaNodesToEndpoints(model, model.nodes, endpoints),
          filter: FILTER,
        };
      }
    }
    throw new PathUnavailable(this.id, 'no LoadBalancer Service with an external IP, a TCP port and ready endpoints');
  },
};
