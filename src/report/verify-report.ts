/** What `lab verify` found: every probe's result and each path's coverage (rendered by verify-table and junit). */
import type { ProbeResult } from '../paths/common/types';

export interface PathCoverage {
  path: string;
  probes: number;
  passed: number;
  failed: number;
  notApplicable: number;
}

export interface VerifyReport {
  lab: string;
  ok: boolean;
  probes: ProbeResult[];
  /** Every path asked for, with its probe count and verdicts. */
  coverage: PathCoverage[];
  /** Paths with no judged probe (none made for this lab, or all not applicable), and why. */
  notCovered: Array<{ path: string; reason: string }>;
}
