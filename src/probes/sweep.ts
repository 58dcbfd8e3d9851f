/** Sweeps moved to src/observe/sweep.ts; re-exported for existing imports. */
export { parseHttpSweep, parseUdpSweep, renderHttpSweep, renderUdpSweep, tally } from '../observe/sweep';
