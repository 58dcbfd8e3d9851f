/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { podTargetId } from '../../trace/capture-plan';
import { publicHttpPort, servingPods } from '../common/select';
import { dedupe, PathUnavailable, TracePathDef } from '../common/trace';
import { FILTER, http, intoPod, nodeIn, nodeOf, nodeOut, podEth0, podSide } from '../common/trace-points';

export const nodeToPodTrace: TracePathDef = {
  id: 'node-to-pod',
  title: "a node's root namespace to a pod on another node (source: the node's eth0 address, no NAT)",
  plan(model, marker) {
    const serving = servingPods(model);
    const n = model.nodes.find((x) => serving.some((p) => p.node !== x.name)) ?? model.nodes[0];
    const pod = serving.find((p) => p.node !== n?.name) ?? serving[0];
    if (!n || !pod) throw new PathUnavailable(this.id, 'no pod with an HTTP server');
    const points =
      pod.node === n.name
        ? dedupe([podSide(model, pod), `${n.name}:${pod.hostVeth}`, podEth0(pod)])
        : [...nodeOut(model, n), ...nodeIn(model, nodeOf(model, pod.node)), ...intoPod(model, pod)];
    return {
      path: this.id,
      title: this.title,
      from: n.name,
      to: podTargetId(pod),
      ...http(pod.ip, publicHttpPort(pod)!, marker),
      points,
      filter: FILTER,
    };
  },
};
