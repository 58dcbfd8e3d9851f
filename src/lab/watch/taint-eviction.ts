/**
 * Taint-based eviction in the loop: a node's NotReady starts its pods' not-ready toleration
 * (src/lab/eviction.ts says when it runs out), the pods of a node whose toleration ran out are
 * evicted and their Deployments' replacements started on Ready nodes (src/lab/evict.ts), and
 * what an eviction left on the silent node is deleted when it answers again, as its kubelet does
 * when it finds its pods deleted.
 */
import type { LabModel, PodModel } from '../../model/types';
import type { WatchEvent } from '../../report/timeline';
import { EvictionClock } from '../eviction';
import { cleanUpEvicted, evictNodePods } from '../evict';
import type { NodeEvent } from '../node-lifecycle';
import { podKey } from '../proxy';

export class TaintEviction {
  private readonly clock: EvictionClock;
  /** Per node: the pods evicted while it was silent, still on it. */
  private readonly leftovers = new Map<string, PodModel[]>();

  constructor(
    scale: number,
    private readonly emit: (e: WatchEvent) => void,
    private readonly say: (line: string) => void,
  ) {
    this.clock = new EvictionClock(scale);
  }

  /** A node lifecycle event: NotReady taints the node; Ready again clears it and cleans up. */
  async nodeEvent(e: NodeEvent, model: LabModel): Promise<void> {
    if (e.kind === 'node-not-ready') this.clock.notReady(e.node, e.at);
    if (e.kind !== 'node-ready') return;
    this.clock.ready(e.node);
    const left = this.leftovers.get(e.node) ?? [];
    this.leftovers.delete(e.node);
    await cleanUpEvicted(model, left).catch((err) =>
      this.say(`kubelet: ${e.node}: evicted pods not cleaned up: ${(err as Error).message.split('\n')[0]}`),
    );
  }

  /** Evicts the pods whose toleration ran out now; true when any node's were (the model changed). */
  async evictDue(model: LabModel): Promise<boolean> {
    const due = this.clock.due(Date.now());
    let m = model;
    for (const node of due) {
      const decided = Date.now(); // the taint eviction controller deletes the pods now
      const r = await evictNodePods(m, node, this.clock.unschedulable());
      m = r.model;
      this.leftovers.set(node, [...(this.leftovers.get(node) ?? []), ...r.evicted]);
      const at = Date.now();
      for (const p of r.evicted) {
        const detail = `${podKey(p)}: toleration node.kubernetes.io/not-ready:NoExecute ${(this.clock.tolerationMs / 1000).toFixed(1)}s ran out: deleted`;
        this.emit({ kind: 'pod-evicted', at: decided, node, detail });
        this.say(`taint-eviction: ${detail}`);
      }
      for (const x of r.rescheduled) {
        const detail = `${podKey(x.pod)} (${x.pod.ip}) replaces ${podKey(x.replaces)}: started and ready`;
        this.emit({ kind: 'pod-rescheduled', at, node: x.pod.node, detail });
        this.say(`replicaset: ${detail} on ${x.pod.node}`);
      }
    }
    return due.length > 0;
  }
}
