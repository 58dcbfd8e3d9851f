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
  private readonly failingSince = new Map<string, number>();
  constructor(private readonly scale = 1) {}

  /** How long a container must fail before it is not ready. */
  get thresholdMs(): number {
    return DEFAULT_READINESS_FAILURE_THRESHOLD * DEFAULT_READINESS_PERIOD_MS * this.scale;
  }

  /** Ready or not, given what was observed now (`observed` false: /healthz failed). */
  ready(key: string, observed: boolean, now: number): boolean {
    if (observed) {
      this.failingSince.delete(key);
      return true;
    }
    const since = this.failingSince.get(key) ?? now;
    this.failingSince.set(key, since);
    return now - since < this.thresholdMs;
  }

  /** A container that died or restarted starts its count again. */
  forget(key: string): void {
    this.failingSince.delete(key);
  }
}
