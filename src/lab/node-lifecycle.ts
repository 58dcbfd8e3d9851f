/**
 * The node lifecycle controller's view of the nodes, pure: each watch iteration says which nodes
 * answered (the kubelet's heartbeat), and the controller marks a node NotReady when it has not
 * heard from it for node-monitor-grace-period. Pods on a NotReady node get Ready=False, so their
 * endpoints become not ready on every other node's rules (kube-controller-manager's
 * MarkPodsNotReady, pkg/controller/nodelifecycle/node_lifecycle_controller.go).
 */

/**
 * kube-controller-manager --node-monitor-grace-period: 50 s since Kubernetes v1.32
 * (kubernetes/kubernetes#126287, "increased to 50s (earlier 40s)"); 40 s before.
 */
export const NODE_MONITOR_GRACE_PERIOD_MS = 50_000;

/**
 * kubelet's CrashLoopBackOff: 10 s, doubling, capped at 5 min (pkg/kubelet/kubelet.go
 * backOffPeriod/MaxContainerBackOff, v1.32); a container that ran 10 min since its last start
 * starts again from 10 s (flowcontrol.Backoff resets after 2 × the cap).
 */
export const CRASHLOOP_INITIAL_MS = 10_000;
export const CRASHLOOP_MAX_MS = 300_000;
export const CRASHLOOP_RESET_MS = 600_000;

export type NodeCondition = 'Ready' | 'NotReady';

export interface NodeHealth {
  condition: NodeCondition;
  /** Last time the node answered (ms since epoch). */
  lastHeartbeat: number;
  /** The first missed heartbeat of the current silence, if any. */
  missedSince?: number;
  /** Why the last heartbeat failed (container exited, paused, exec failed). */
  reason?: string;
}

export interface NodeEvent {
  kind: 'heartbeat-missed' | 'node-not-ready' | 'node-ready';
  node: string;
  at: number;
  detail: string;
}

/** Tracks every node's heartbeat; `observe` returns what changed this iteration. */
export class NodeLifecycle {
  readonly nodes = new Map<string, NodeHealth>();
  constructor(
    private readonly graceMs: number,
    start: number,
    names: string[],
  ) {
    for (const n of names) this.nodes.set(n, { condition: 'Ready', lastHeartbeat: start });
  }

  /** `answered`: node → undefined when it answered, else the reason it did not; then judged at `now`. */
  observe(answered: Map<string, string | undefined>, now: number): NodeEvent[] {
    return [...this.heard(answered, now), ...this.judge(now)];
  }

  /**
   * One heartbeat round observed at `at` (the kubelet's Lease renewal): a node that answered has
   * its lease renewed (and is Ready again if it was NotReady); one that did not has its heartbeat
   * missed. Nothing here turns a node NotReady: that is `judge`, on its own period.
   */
  heard(answered: Map<string, string | undefined>, at: number): NodeEvent[] {
    const out: NodeEvent[] = [];
    for (const [node, reason] of answered) {
      const h = this.nodes.get(node) ?? { condition: 'Ready' as const, lastHeartbeat: at };
      this.nodes.set(node, h);
      if (reason === undefined) {
        if (h.condition === 'NotReady')
          out.push({ kind: 'node-ready', node, at, detail: 'heartbeat renewed: kubelet posted Ready' });
        h.condition = 'Ready';
        // A round that began before a later one finished must not move the lease back.
        h.lastHeartbeat = Math.max(h.lastHeartbeat, at);
        h.missedSince = undefined;
        h.reason = undefined;
        continue;
      }
      if (h.missedSince === undefined) {
        h.missedSince = at;
        out.push({ kind: 'heartbeat-missed', node, at, detail: reason });
      }
      // The latest reason (a restarting node is first exited, then running without its links).
      h.reason = reason;
    }
    return out;
  }

  /**
   * The node lifecycle controller's check (every node-monitor-period): a node whose heartbeat was
   * missed and whose last one is grace period old or more is NotReady. Only the time since the
   * last heartbeat counts, not how often anything ran, and a node never seen missing one (however
   * slowly it was observed) stays Ready.
   */
  judge(now: number): NodeEvent[] {
    const out: NodeEvent[] = [];
    for (const [node, h] of this.nodes) {
      if (h.condition !== 'Ready' || h.missedSince === undefined || now - h.lastHeartbeat < this.graceMs) continue;
      h.condition = 'NotReady';
      out.push({
        kind: 'node-not-ready',
        node,
        at: now,
        detail: `no heartbeat for ${((now - h.lastHeartbeat) / 1000).toFixed(1)}s (node-monitor-grace-period ${(this.graceMs / 1000).toFixed(1)}s): ${h.reason}`,
      });
    }
    return out;
  }

  /** The node answered at its last observation (its kubelet can be asked about its pods). */
  answering(node: string): boolean {
    return this.nodes.get(node)?.missedSince === undefined;
  }

  condition(node: string): NodeCondition {
    return this.nodes.get(node)?.condition ?? 'Ready';
  }
}

/** The kubelet's restart back-off for one container (restartPolicy: Always), time-scaled. */
export class CrashLoopBackOff {
  private readonly s = new Map<string, { delay: number; lastStart: number }>();
  constructor(private readonly scale = 1) {}

  /**
   * How long until `key`, seen dead since `deadSince`, may start again (0: now). As the kubelet's
   * doBackOff: the first death restarts at once; after that the back-off counts from the exit.
   */
  wait(key: string, deadSince: number, now: number): number {
    const st = this.s.get(key);
    if (!st || now - st.lastStart >= CRASHLOOP_RESET_MS * this.scale) return 0;
    return Math.max(0, deadSince + st.delay - now);
  }

  /** Records a start at `now`; returns the back-off that applies should it die again. */
  started(key: string, now: number): number {
    const st = this.s.get(key);
    const init = CRASHLOOP_INITIAL_MS * this.scale;
    if (!st || now - st.lastStart >= CRASHLOOP_RESET_MS * this.scale) {
      this.s.set(key, { delay: init, lastStart: now });
      return init;
    }
    st.delay = Math.min(st.delay * 2, CRASHLOOP_MAX_MS * this.scale);
    st.lastStart = now;
    return st.delay;
  }
}
