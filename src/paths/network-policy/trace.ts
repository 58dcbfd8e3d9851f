/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { podTargetId } from '../../trace/capture-plan';
import { cellsFrom, expectedCell, matrixPods, worldOf } from './probes';
import { PathUnavailable, TracePathDef } from '../common/trace';
import { FILTER, http, podToPodPoints } from '../common/trace-points';

/**
 * A connection a NetworkPolicy denies (the oracle's first denied TCP cell, across nodes when there
 * is one): frames are captured up to the hop where the policy drops the SYN; the plan names the
 * policies that decide it, as expected by the oracle.
 */
export const networkPolicyTrace: TracePathDef = {
  id: 'network-policy',
  title: 'a connection a NetworkPolicy denies: captured up to the node whose policy chain drops it',
  plan(model, marker) {
    if (!model.networkPolicies?.length) throw new PathUnavailable(this.id, 'the lab has no NetworkPolicy objects');
    const world = worldOf(model);
    const pods = matrixPods(model);
    const denied = pods
      .flatMap((a) =>
        cellsFrom(model, pods)
          .filter((c) => c.protocol === 'TCP' && c.to !== a)
          .map((c) => ({ a, c, e: expectedCell(world, a, c) })),
      )
      .filter((x) => x.e.verdict === 'denied')
      .sort((x, y) => Number(x.a.node === x.c.to.node) - Number(y.a.node === y.c.to.node));
    const pick = denied[0];
    if (!pick) throw new PathUnavailable(this.id, 'the policies deny no TCP connection between pods');
    const { a, c, e } = pick;
    return {
      path: this.id,
      title: this.title,
      from: podTargetId(a),
      to: `${podTargetId(c.to)} ${c.port}/TCP (expected denied by ${e.deciding.join(', ')}: ${e.reason})`,
      ...http(c.to.ip, c.port, marker),
      points: podToPodPoints(model, a, c.to),
      filter: FILTER,
    };
  },
};
