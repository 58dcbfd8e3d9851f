/**
 * Readiness of a container that declares no readinessProbe, pure. Kubernetes would call such a
 * container Ready for as long as it runs; the lab's pods answer /healthz (netexec), and `lab
 * watch` reads it as if the container had a readinessProbe with Kubernetes' defaults
 * (core/v1 Probe: periodSeconds 10, failureThreshold 3, successThreshold 1; k8s.io/api v0.32
 * core/v1/types.go): Ready goes False at the failureThreshold-th consecutive failed check, that is
 * (failureThreshold − 1) × periodSeconds (× the time-scale) after the first failure was seen, and
 * back to True at the first success. The kubelet's probe worker sets the result only once its run
 * of equal results reaches the threshold (pkg/kubelet/prober/worker.go doProbe, `resultRun <
 * FailureThreshold` keeps the old state; kubernetes release-1.34): 20–30 s after the server fails.
 */
export const DEFAULT_READINESS_PERIOD_MS = 10_000;
export const DEFAULT_READINESS_FAILURE_THRESHOLD = 3;

export class ImpliedReadiness {
  /** Per container failing: when it was first seen failing (the end of that observation). */
  private readonly failingSince = new Map<string, number>();
  constructor(private readonly scale = 1) {}

  /** How long after the first failed check the container is not ready (the threshold-th check). */
  get thresholdMs(): number {
    return (DEFAULT_READINESS_FAILURE_THRESHOLD - 1) * DEFAULT_READINESS_PERIOD_MS * this.scale;
  }

  /**
   * One observation of /healthz that began at `startedAt` and ended at `endedAt`. A failure counts
   * from the end (the server failed at the latest then: never early); a success ends the failure
   * only if its observation began after the failure was seen (an older success is stale: loop and
   * ticker observe side by side). Returns what changed: 'failing' (first seen failing), 'answering' (failing no more).
   */
  observe(key: string, ok: boolean, startedAt: number, endedAt: number): 'failing' | 'answering' | undefined {
    const since = this.failingSince.get(key);
    if (!ok) {
      if (since === undefined || endedAt < since) this.failingSince.set(key, endedAt);
      return since === undefined ? 'failing' : undefined;
    } else if (since !== undefined && startedAt > since) {
      this.failingSince.delete(key);
      return 'answering';
    }
    return undefined;
  }

  /** Ready at `now`: not failing, or failing for less than the threshold. */
  ready(key: string, now: number): boolean {
    const since = this.failingSince.get(key);
    return since === undefined || now - since < this.thresholdMs;
  }

  /** The containers not ready at `now` (failing for the threshold or longer), sorted. */
  notReady(now: number): string[] {
    return [...this.failingSince.entries()]
      .filter(([, since]) => now - since >= this.thresholdMs)
      .map(([k]) => k)
      .sort();
  }

  /** The next time a failing container reaches the threshold (after `now`), to act on it then. */
  nextDecision(now: number): number | undefined {
    const times = [...this.failingSince.values()].map((t) => t + this.thresholdMs).filter((t) => t > now);
    return times.length ? Math.min(...times) : undefined;
  }
}
