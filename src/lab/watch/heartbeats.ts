/**
 * Node heartbeats on their own clock, as Kubernetes runs them, independent of how long a watch
 * iteration takes: the kubelet renews its node Lease every renew interval, and the node lifecycle
 * controller checks every node-monitor-period whether a lease is older than
 * node-monitor-grace-period (src/lab/node-lifecycle.ts judges). Both × time-scale. A renewal round
 * asks the engine and the VPC router whether each node answers (`renew`); rounds never overlap, and
 * one that runs late is followed by the next at once rather than skipped.
 */
import type { LabModel } from '../../model/types';
import type { FaultView } from '../faults/watch-view';
import type { NodeEvent, NodeLifecycle } from '../node-lifecycle';

/**
 * kubelet node Lease renewal: nodeLeaseDurationSeconds 40 × nodeLeaseRenewIntervalFraction 0.25 =
 * 10 s (pkg/kubelet/kubelet.go and KubeletConfiguration defaults, v1.32; unchanged in v1.34).
 */
export const NODE_LEASE_RENEW_INTERVAL_MS = 10_000;
/** kube-controller-manager --node-monitor-period: 5 s (nodelifecycle config v1alpha1 defaults, v1.32). */
export const NODE_MONITOR_PERIOD_MS = 5_000;

export interface HeartbeatOptions {
  lifecycle: NodeLifecycle;
  /** Multiplies both periods (as the grace period the lifecycle was built with). */
  scale: number;
  /** One renewal round: node → undefined when it answered, else why not. */
  renew: () => Promise<Map<string, string | undefined>>;
  /** What changed (heartbeat missed, NotReady, Ready again), as it happens. */
  onEvents: (events: NodeEvent[]) => void;
  /** A round that failed (the engine did not answer): no node is renewed or missed by it. */
  onError: (err: unknown) => void;
  /** Milliseconds since the epoch; Date.now unless a test fakes it (jest's fake timers do). */
  now?: () => number;
}

export class Heartbeats {
  private renewTimer?: NodeJS.Timeout;
  private monitorTimer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private stopped = true;
  /** Renewal rounds completed, and the longest one (ms): the watch reports them. */
  rounds = 0;
  longestRoundMs = 0;
  private readonly now: () => number;

  constructor(private readonly o: HeartbeatOptions) {
    this.now = o.now ?? Date.now;
  }

  get renewIntervalMs(): number {
    return NODE_LEASE_RENEW_INTERVAL_MS * this.o.scale;
  }

  get monitorPeriodMs(): number {
    return NODE_MONITOR_PERIOD_MS * this.o.scale;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.scheduleRenew(0);
    this.monitorTimer = setInterval(() => this.monitor(), this.monitorPeriodMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.renewTimer);
    clearInterval(this.monitorTimer);
    await this.inFlight;
  }

  /** One renewal round now; its observations count from when it began. */
  async renewNow(): Promise<void> {
    const at = this.now();
    try {
      const answered = await this.o.renew();
      const events = this.o.lifecycle.heard(answered, at);
      if (events.length) this.o.onEvents(events);
    } catch (err) {
      this.o.onError(err);
    } finally {
      this.rounds++;
      this.longestRoundMs = Math.max(this.longestRoundMs, this.now() - at);
    }
  }

  /** The node lifecycle controller's check, on its own period. */
  monitor(): void {
    const events = this.o.lifecycle.judge(this.now());
    if (events.length) this.o.onEvents(events);
  }

  private scheduleRenew(ms: number): void {
    this.renewTimer = setTimeout(
      () => {
        const began = this.now();
        this.inFlight = this.renewNow().then(() => {
          this.inFlight = undefined;
          // The lease's next renewal is due renew interval after this one began.
          if (!this.stopped) this.scheduleRenew(this.renewIntervalMs - (this.now() - began));
        });
      },
      Math.max(0, ms),
    );
  }
}

/**
 * Pure: which nodes answer, from the engine's container states and the VPC router's view (a node
 * whose link there is down or gone cannot reach the control plane): node → undefined, or why not.
 */
export function nodeAnswers(
  model: LabModel,
  engine: ReadonlyMap<string, string>,
  view: FaultView | undefined,
): Map<string, string | undefined> {
  return new Map(
    model.nodes.map((n) => [
      n.name,
      engine.get(n.container) === 'running'
        ? view?.linkDown.get(n.name)
        : `node container ${engine.get(n.container) ?? 'missing'}`,
    ]),
  );
}
