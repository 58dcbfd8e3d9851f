/**
 * Taint-based eviction, as Kubernetes does it for a node that stays NotReady: the node lifecycle
 * controller taints it node.kubernetes.io/not-ready:NoExecute (unreachable when the kubelet is
 * silent), every pod tolerates that taint for 300 s (the DefaultTolerationSeconds admission
 * plugin's --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds,
 * DefaultNotReadyTolerationSeconds = 300, plugin/pkg/admission/defaulttolerationseconds/admission.go,
 * Kubernetes v1.32), and the taint eviction controller (pkg/controller/tainteviction) deletes
 * each pod whose toleration ran out. A Deployment's ReplicaSet then creates a replacement, which
 * the scheduler places on a Ready node (the NotReady node also has the not-ready:NoSchedule
 * taint); a bare pod is gone for good. Pure: which nodes' pods are due, and when.
 */

export const NOT_READY_TOLERATION_MS = 300_000;

export class EvictionClock {
  /** NotReady nodes, with when they were tainted (the NotReady transition). */
  private readonly tainted = new Map<string, number>();
  private readonly evicted = new Set<string>();

  constructor(private readonly scale = 1) {}

  /** The toleration, time-scaled. */
  get tolerationMs(): number {
    return NOT_READY_TOLERATION_MS * this.scale;
  }

  notReady(node: string, at: number): void {
    if (!this.tainted.has(node)) this.tainted.set(node, at);
  }

  ready(node: string): void {
    this.tainted.delete(node);
    this.evicted.delete(node);
  }

  /** Nodes whose pods' toleration ran out at `now` (each once per NotReady spell). */
  due(now: number): string[] {
    const out: string[] = [];
    for (const [node, at] of this.tainted)
      if (!this.evicted.has(node) && now - at >= this.tolerationMs) {
        this.evicted.add(node);
        out.push(node);
      }
    return out;
  }

  /** Nodes with the NoSchedule/NoExecute taint now: the scheduler places nothing there. */
  unschedulable(): Set<string> {
    return new Set(this.tainted.keys());
  }
}
