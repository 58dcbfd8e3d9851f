/** Probes: each sends real traffic inside the lab and reports what it observed. */
import { LabModel } from '../../model/types';
import type { ExecResult } from '../../model/exec';
import { Target } from '../../plan/targets';
import type { TracePathDef } from './trace';

/** pass: the claim held on what was observed; fail: it did not, or nothing was observed; not applicable: the lab gives the claim nothing to test. */
export type Verdict = 'pass' | 'fail' | 'not applicable';

export interface ProbeMeta {
  /** Path ID, e.g. `pod-to-pod-cross-node` (stable: CI and later issues rely on it). */
  path: string;
  name: string;
  from: string;
  to: string;
}

export interface ProbeResult extends ProbeMeta {
  /** False only when the verdict is fail. */
  ok: boolean;
  verdict: Verdict;
  /** What was observed in the lab, apart from what the model expects. */
  evidence: { observed: Record<string, unknown>; expected: Record<string, unknown> };
  /** Why it failed, or why it does not apply, in a sentence. */
  reason?: string;
}

/** How probes reach into the lab; the runtime supplies it, tests may fake it. */
export interface ProbeRunner {
  run(target: Target, argv: string[]): Promise<ExecResult>;
  /** A shell script run in the target (in the pod's namespace for a pod). */
  sh(target: Target, script: string): Promise<ExecResult>;
}

export interface Probe extends ProbeMeta {
  run(r: ProbeRunner): Promise<ProbeResult>;
}

/** A path: its ID, a one-line description, and the probes it makes for a lab. */
export interface PathDef {
  id: string;
  title: string;
  probes(model: LabModel): Probe[];
  /** Why the lab yields no probe for this path (e.g. "no Ingress objects"), for the coverage report. */
  uncovered?(model: LabModel): string;
  /** False when the path has nothing to claim for this lab by design (e.g. no NetworkPolicy): left out of coverage unless asked for with --path. */
  appliesTo?(model: LabModel): boolean;
}

/** A path of the guide: how `lab verify` proves it (PathDef) and how `lab trace` follows it. */
export interface GuidePath extends PathDef {
  trace: TracePathDef;
}

/**
 * One path module: its probes and its trace plan under one ID. A path with nothing to trace in a
 * lab says why from its plan (PathUnavailable), as network-policy does on a lab without policies.
 */
export function guidePath(verify: PathDef, trace: TracePathDef): GuidePath {
  if (verify.id !== trace.id) throw new Error(`path ${verify.id}: its trace plan is for ${trace.id}`);
  return { ...verify, trace };
}
