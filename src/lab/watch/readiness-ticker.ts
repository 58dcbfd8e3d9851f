/**
 * The kubelet's readiness probing on its own period (periodSeconds × time-scale), beside the loop:
 * a round observes the pods of the nodes that answer (/healthz, as the loop's observation does),
 * however long the loop's syncs take. Rounds never overlap; one that runs late is followed by the
 * next at once. What a round saw goes to `feed`; the loop judges readiness from it.
 */
export class ReadinessTicker {
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private stopped = true;
  rounds = 0;

  constructor(
    private readonly periodMs: number,
    /** One round: observe and feed what was seen. */
    private readonly round: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.periodMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(
      () => {
        const began = Date.now();
        this.inFlight = this.round()
          .catch((err) => this.onError(err))
          .then(() => {
            this.rounds++;
            this.inFlight = undefined;
            if (!this.stopped) this.schedule(this.periodMs - (Date.now() - began));
          });
      },
      Math.max(0, ms),
    );
  }
}
