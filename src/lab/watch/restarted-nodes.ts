/**
 * A node container that runs again in a new, empty network namespace (`docker restart`, the engine
 * restarting, `docker start` after a stop): its links, pods and rules are gone. `lab watch`
 * re-plumbs it (src/lab/node-repair.ts, as `lab up` does) once it sees the container running
 * without its port on the VPC router, as a rebooted node's kubelet and CNI set its pods up again;
 * until then the node is silent (no heartbeat), so its pods are not restarted into a node without
 * links. The repair holds the lab's lock (a `lab up` in progress does it instead), and one that
 * failed is tried again no sooner than the node's next lease renewal.
 */
import type { LabModel, NodeModel } from '../../model/types';
import type { FaultView } from '../faults/watch-view';
import type { NodeRepair } from '../node-repair';

/** Pure: nodes whose container runs but whose port on the VPC router is gone. */
export function restartedNodes(
  model: LabModel,
  engine: ReadonlyMap<string, string>,
  view: FaultView | undefined,
): NodeModel[] {
  return model.nodes.filter((n) => engine.get(n.container) === 'running' && view?.unplumbed.has(n.name));
}

export interface RepairDeps {
  /** Takes the lab's lock; throws when another command holds it. */
  lock: (lab: string) => Promise<{ release(): void }>;
  repair: (model: LabModel, nodes: NodeModel[], log: (l: string) => void) => Promise<NodeRepair[]>;
}

export class RestartedNodeRepair {
  private readonly retryAt = new Map<string, number>();
  constructor(
    private readonly deps: RepairDeps,
    /** How long after a failed repair to try again (the lease renew interval, time-scaled). */
    readonly retryMs: number,
  ) {}

  /** Of `nodes`, those not waiting for a retry at `now`. */
  due(nodes: NodeModel[], now: number): NodeModel[] {
    return nodes.filter((n) => now >= (this.retryAt.get(n.name) ?? 0));
  }

  /** Re-plumbs `nodes`: what was repaired, or why nothing was (lock busy, a step failed). */
  async repair(
    lab: string,
    model: LabModel,
    nodes: NodeModel[],
    log: (l: string) => void,
    now: () => number = Date.now,
  ): Promise<{ repaired: NodeRepair[]; error?: string }> {
    let lock: { release(): void };
    try {
      lock = await this.deps.lock(lab);
    } catch (err) {
      for (const n of nodes) this.retryAt.set(n.name, now() + this.retryMs);
      return { repaired: [], error: (err as Error).message.split('\n')[0] };
    }
    try {
      const repaired = await this.deps.repair(model, nodes, log);
      for (const n of nodes) this.retryAt.delete(n.name);
      return { repaired };
    } catch (err) {
      for (const n of nodes) this.retryAt.set(n.name, now() + this.retryMs);
      return { repaired: [], error: (err as Error).message.split('\n')[0] };
    } finally {
      lock.release();
    }
  }
}
