/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { podTargetId } from '../../trace/capture-plan';
import { crossNodePairs, publicHttpPort, sameNodePairs } from '../common/select';
import { PathUnavailable, TracePathDef } from '../common/trace';
import { FILTER, http, podToPodPoints } from '../common/trace-points';

export const podToPodSameNodeTrace: TracePathDef = {
  id: 'pod-to-pod-same-node',
  title: 'pod to pod on one node: veth, cbr0, veth (switched, TTL unchanged)',
  plan(model, marker) {
    const pair = sameNodePairs(model)[0];
    if (!pair) throw new PathUnavailable(this.id, 'no node runs two pods with an HTTP server');
    const [a, b] = pair;
    return {
      path: this.id,
      title: this.title,
      from: podTargetId(a),
      to: podTargetId(b),
      ...http(b.ip, publicHttpPort(b)!, marker),
      points: podToPodPoints(model, a, b),
      filter: FILTER,
    };
  },
};

export const podToPodCrossNodeTrace: TracePathDef = {
  id: 'pod-to-pod-cross-node',
  title: 'pod to pod across nodes: cbr0, eth0, the VPC router, the other node (routed, no NAT)',
  plan(model, marker) {
    const pair = crossNodePairs(model)[0];
    if (!pair) throw new PathUnavailable(this.id, 'no two nodes run a pod with an HTTP server');
    const [a, b] = pair;
    return {
      path: this.id,
      title: this.title,
      from: podTargetId(a),
      to: podTargetId(b),
      ...http(b.ip, publicHttpPort(b)!, marker),
      points: podToPodPoints(model, a, b),
      filter: FILTER,
    };
  },
};
