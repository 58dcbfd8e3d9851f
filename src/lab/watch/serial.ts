/**
 * One at a time: the watch's syncs (the loop's, a readiness decision's between iterations), node
 * repairs and evictions each change the rules and the proxy state kept in memory; each runs after
 * the one before has settled, in the order asked.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Settles once everything asked so far has. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
