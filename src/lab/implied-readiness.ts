/**
 * Readiness of a container that declares no readinessProbe, pure. Kubernetes would call such a
 * container Ready for as long as it runs; the lab's pods answer /healthz (netexec), and `lab
 * watch` reads it as if the container had a readinessProbe with Kubernetes' defaults
 * (core/v1 Probe: periodSeconds 10, failureThreshold 3, successThreshold 1; k8s.io/api v0.32
 * core/v1/types.go): Ready goes False after failureThreshold × periodSeconds of failing (× the
 * time-scale), and back to True at the first success.
 */
export const DEFAULT_READINESS_PERIOD_MS = 10_000;
export const DEFAULT_READINESS_FAILURE_THRESHOLD = 3;

export class ImpliedReadiness {
  /** Per container: when it last passed (or, never seen passing, when it was first seen failing). */
  private readonly lastOk = new Map<string, number>();
  constructor(private readonly scale = 1) {}

  /** How long a container must fail before it is not ready. */
  get thresholdMs(): number {
    return DEFAULT_READINESS_FAILURE_THRESHOLD * DEFAULT_READINESS_PERIOD_MS * this.scale;
  }

  /**
   * Ready or not, given what an observation that began at `at` saw (`observed` false: /healthz
   * failed). The kubelet's probes run every periodSeconds, so the failureThreshold-th failure in a
   * row comes failureThreshold × periodSeconds after the last success (pkg/kubelet/prober/worker.go,
   * v1.32): judged here on the time since the last success observed, so observations that run
   * late (a slow loop) make it no later than the first failure seen after that time.
   */
  ready(key: string, observed: boolean, at: number): boolean {
    const last = this.lastOk.get(key);
    if (observed) {
      this.lastOk.set(key, Math.max(last ?? at, at));
      return true;
    }
    if (last === undefined) this.lastOk.set(key, at);
    return at - (last ?? at) < this.thresholdMs;
  }
}
