/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { podTargetId } from '../../trace/capture-plan';
import { publicHttpPort, servingPods } from '../common/select';
import { PathUnavailable, TracePathDef } from '../common/trace';
import { FILTER, http, podToPodPoints } from '../common/trace-points';

export const podIpIdentityTrace: TracePathDef = {
  id: 'pod-ip-identity',
  title: 'the source address a pod sends from arrives unchanged at a server on another node',
  plan(model, marker) {
    const serving = servingPods(model);
    // The same choice as the verify probe: the first pod, a server on another node.
    const pod = model.pods.find((p) => p.containers.length > 0 && serving.some((s) => s.node !== p.node));
    const server = pod && serving.find((s) => s.node !== pod.node);
    if (!pod || !server) throw new PathUnavailable(this.id, 'no pod has a server on another node');
    return {
      path: this.id,
      title: this.title,
      from: podTargetId(pod),
      to: podTargetId(server),
      ...http(server.ip, publicHttpPort(server)!, marker, 'clientip'),
      points: podToPodPoints(model, pod, server),
      filter: FILTER,
    };
  },
};
