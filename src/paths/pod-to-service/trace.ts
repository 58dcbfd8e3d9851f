/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { podTargetId } from '../../trace/capture-plan';
import { PathUnavailable, TracePathDef } from '../common/trace';
import { backendBranches, FILTER, http, pickClient, pickService, podEth0, podSide } from '../common/trace-points';

/** pod-to-service and service-to-pod trace the same request; only the URL differs (echo or clientip). */
export function servicePlan(id: string, title: string, what: 'echo' | 'clientip'): TracePathDef {
  return {
    id,
    title,
    plan(model, marker) {
      const s = pickService(model);
      if (!s) throw new PathUnavailable(id, 'no ClusterIP Service with a TCP port and ready endpoints');
      const client = pickClient(model, s.endpoints);
      if (!client) throw new PathUnavailable(id, 'no pod to send from that is not a backend of the Service');
      return {
        path: id,
        title,
        from: podTargetId(client),
        to: `Service ${s.svc.namespace}/${s.svc.name} ${s.svc.clusterIP}:${s.port}`,
        ...http(s.svc.clusterIP, s.port, marker, what),
        points: [podEth0(client), podSide(model, client)],
        branches: backendBranches(model, client, s.endpoints),
        filter: FILTER,
      };
    },
  };
}

export const podToServiceTrace = servicePlan(
  'pod-to-service',
  "pod to a Service's ClusterIP: kube-proxy on the client's node DNATs it to one backend pod; the reply is un-DNATed there",
  'echo',
);
