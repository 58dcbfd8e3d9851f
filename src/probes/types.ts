/** Probes: each sends real traffic inside the lab and reports what it observed. */
import { LabModel } from '../model/types';
import { ExecResult } from '../runtime/exec';
import { Target } from '../lab/targets';

export interface ProbeResult {
  /** Path ID, e.g. `pod-to-pod-cross-node` (stable: CI and later issues rely on it). */
  path: string;
  name: string;
  from: string;
  to: string;
  ok: boolean;
  /** What was observed: who answered, which source address the server saw, counters, TTLs. */
  evidence: Record<string, unknown>;
  /** Why it failed, in a sentence, when it did. */
  reason?: string;
}

/** How probes reach into the lab; the runtime supplies it, tests may fake it. */
export interface ProbeRunner {
  run(target: Target, argv: string[]): Promise<ExecResult>;
  /** A shell script run in the target (in the pod's namespace for a pod). */
  sh(target: Target, script: string): Promise<ExecResult>;
}

export interface Probe {
  path: string;
  name: string;
  from: string;
  to: string;
  run(r: ProbeRunner): Promise<ProbeResult>;
}

/** A path: its ID, a one-line description, and the probes it makes for a lab. */
export interface PathDef {
  id: string;
  title: string;
  probes(model: LabModel): Probe[];
}
