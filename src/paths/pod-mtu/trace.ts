/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { podTargetId } from '../../trace/capture-plan';
import { crossNodePairs } from '../common/select';
import { podMtu } from '../../plan/cni';
import { PathUnavailable, TracePathDef } from '../common/trace';
import { FILTER, podToPodPoints } from '../common/trace-points';

export const podMtuTrace: TracePathDef = {
  id: 'pod-mtu',
  title: 'a do-not-fragment ping that fills the pod MTU exactly crosses to a pod on another node',
  plan(model, marker) {
    const pair = crossNodePairs(model)[0];
    if (!pair) throw new PathUnavailable(this.id, 'no two nodes run a pod');
    const [a, b] = pair;
    // ping -p repeats at most 16 pattern bytes through the payload: a 16-byte marker fits whole.
    const short = `k8s-trace-${marker.slice(-6)}`;
    const size = podMtu(model) - 28;
    return {
      path: this.id,
      title: this.title,
      from: podTargetId(a),
      to: `${podTargetId(b)} (${size + 28}-byte packets, DF)`,
      probe: [
        'ping',
        '-M',
        'do',
        '-c',
        '1',
        '-W',
        '2',
        '-s',
        String(size),
        '-p',
        Buffer.from(short).toString('hex'),
        b.ip,
      ],
      marker: short,
      first: { proto: 'icmp', dst: b.ip },
      points: podToPodPoints(model, a, b),
      filter: FILTER,
    };
  },
};
