/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { podTargetId } from '../../trace/capture-plan';
import { servingPods } from '../common/select';
import { PathUnavailable, TracePathDef } from '../common/trace';
import { attPoint, attVpcSide, edgeOf, FILTER, http, nodeOf, nodeOut, podEth0, podSide } from '../common/trace-points';

export const podToInternetTrace: TracePathDef = {
  id: 'pod-to-internet',
  title: 'a pod reaches a host on the Internet: masqueraded on its node, NATed again at the Internet gateway',
  plan(model, marker) {
    const e = edgeOf(model, this.id);
    const pod = servingPods(model).find((p) => !p.namespace.startsWith('kube-')) ?? model.pods[0];
    if (!pod) throw new PathUnavailable(this.id, 'no pod to send from');
    const n = nodeOf(model, pod.node);
    const igwSide = attVpcSide(model, e.igw);
    return {
      path: this.id,
      title: this.title,
      from: podTargetId(pod),
      to: `internet ${e.internet.ip}:80`,
      ...http(e.internet.ip, 80, marker, 'trace'),
      points: [
        podEth0(pod),
        podSide(model, pod),
        ...nodeOut(model, n),
        igwSide,
        attPoint(e.igw),
        `${e.igw.name}:${e.igw.internetIface}`,
        `${e.internet.name}:${e.internet.iface}`,
      ],
      filter: FILTER,
    };
  },
};
