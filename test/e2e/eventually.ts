/**
 * One wait for the e2e tests: poll `check` until it holds, and return how long that took (the
 * tests log it; speed is measured by `npm run bench`, never asserted here). The deadline only
 * bounds "it never happens", so it is generous: CI runs three e2e files at once on two cores, where
 * a watch loop that takes 2 s quiet took more than 10 s (the CI run of 2026-11-30 failed on that).
 * On a timeout the error names what was awaited, and `explain` adds what was last seen.
 */
export const E2E_DEADLINE_MS = 90_000;

export interface EventuallyOptions {
  deadlineMs?: number;
  everyMs?: number;
  /** What was last observed, for the error when the deadline passes (e.g. the tail of a watch's log). */
  explain?: () => string | Promise<string>;
}

export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  { deadlineMs = E2E_DEADLINE_MS, everyMs = 100, explain }: EventuallyOptions = {},
): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await check()) return Date.now() - t0;
    if (Date.now() - t0 > deadlineMs) {
      const seen = explain ? `\n${await explain()}` : '';
      throw new Error(`${what}: not after ${(deadlineMs / 1000).toFixed(0)} s${seen}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
