/** Sweeps moved to src/observe/sweep.ts; re-exported for existing imports. */
export { count, parseHttpSweep, parseUdpSweep, renderHttpSweep, renderUdpSweep, tally } from '../../observe/sweep';
export type { SweepLine } from '../../observe/sweep';
