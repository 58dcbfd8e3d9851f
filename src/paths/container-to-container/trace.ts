/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { podTargetId } from '../../trace/capture-plan';
import { PathUnavailable, TracePathDef } from '../common/trace';
import { FILTER, http } from '../common/trace-points';

export const containerToContainerTrace: TracePathDef = {
  id: 'container-to-container',
  title: "containers of one pod talk over localhost (the pod namespace's lo)",
  plan(model, marker) {
    const pod = model.pods.find((p) => p.containers.length >= 2 && p.containers.some((c) => c.httpPort));
    if (!pod) throw new PathUnavailable(this.id, 'no pod has two containers with an HTTP server');
    // The localhost-only server if there is one: the traffic that must stay inside the pod.
    const c =
      pod.containers.find((x) => x.httpPort && x.bind === '127.0.0.1') ?? pod.containers.find((x) => x.httpPort)!;
    const t = podTargetId(pod);
    return {
      path: this.id,
      title: this.title,
      from: t,
      to: `${t} 127.0.0.1:${c.httpPort} (${c.name})`,
      ...http('127.0.0.1', c.httpPort!, marker),
      points: [`${t}:lo`],
      filter: FILTER,
    };
  },
};
