/**
 * The loop's wait between iterations, cut short by `wake`. A wake that comes while the loop is
 * busy (mid-iteration) is kept: the next wait returns at once instead of sleeping through the
 * event that asked for it (a node NotReady, a stop, a readiness sync that left the change to the
 * loop).
 */
export class LoopWake {
  private pending = false;
  private resolve?: () => void;
  private timer?: NodeJS.Timeout;

  /** Waits `ms` (at least 0), or less if woken; at once if a wake came since the last wait. */
  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.timer = setTimeout(() => this.done(), Math.max(0, ms));
    });
  }

  wake(): void {
    if (this.resolve) this.done();
    else this.pending = true;
  }

  private done(): void {
    clearTimeout(this.timer);
    const r = this.resolve;
    this.resolve = undefined;
    r?.();
  }
}
