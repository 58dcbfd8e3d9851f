/**
 * What `lab watch` sees of the cloud load balancer each iteration: its checker's state file, read
 * with one exec in the LB container, turned into timeline events when a node leaves or rejoins
 * the healthy set (src/edge/lb-fault.ts lbHealthEvents). A lab without an edge has no LB.
 */
import type { LabModel } from '../../model/types';
import { exec } from '../../runtime/exec';
import { LB_STATE } from '../../edge/lb';
import { LbHealthEvent, LbHealthy, lbHealthEvents } from '../../edge/lb-fault';

export class LbHealthWatch {
  private healthy: LbHealthy | undefined;

  async poll(model: LabModel): Promise<LbHealthEvent[]> {
    if (!model.edge) return [];
    const r = await exec(model.edge.lb.container, ['cat', LB_STATE]);
    if (r.failed) return [];
    const { events, healthy } = lbHealthEvents(this.healthy, r.stdout);
    this.healthy = healthy;
    return events;
  }
}
