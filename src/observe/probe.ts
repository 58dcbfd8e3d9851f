/**
 * The probe builder: fills the common fields and enforces "no observation, no pass". A probe is
 * `run` (commands in the lab, returning raw observations) and `judge` (a pure verdict on them).
 * The judge reads observations through `need()`: a missing or empty one stops the judgement with
 * a failure that names what was not observed, so nothing can pass on an empty list or a failed
 * request. Evidence is split: what was observed in the lab apart from what the model expects.
 */
import type { Probe, ProbeMeta, ProbeResult, ProbeRunner, Verdict } from '../paths/common/types';

/** What a probe saw in the lab, apart from what the model says it should see. */
export interface Evidence {
  /** Only values observed in the running lab (replies, addresses a server saw, conntrack, frames). */
  observed: Record<string, unknown>;
  /** Values from the model or Kubernetes' rules the observation is judged against. */
  expected: Record<string, unknown>;
}

/** A judge's outcome: undefined = the claim holds, a string = why not, or why the probe cannot apply. */
export type Outcome = string | undefined | { notApplicable: string };

/** Fills `ev` as it reads the observation, and returns the outcome. */
export type Judge<O> = (o: O, ev: Evidence) => Outcome;

/** Thrown by need(): the observation a claim rests on is missing. */
export class NoObservation extends Error {}

/** True for undefined, null, NaN, '', [] and {}: nothing was observed. */
export function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (typeof v === 'number') return Number.isNaN(v);
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

/** The observation, or a failure "nothing observed: <what>" when it is empty. */
export function need<T>(v: T | undefined | null, what: string): T {
  if (isEmpty(v)) throw new NoObservation(`nothing observed: ${what}`);
  return v as T;
}

function result(meta: ProbeMeta, verdict: Verdict, ev: Evidence, reason?: string): ProbeResult {
  return { ...meta, ok: verdict !== 'fail', verdict, evidence: ev, ...(reason ? { reason } : {}) };
}

/** Judges an observation: pass, fail with a reason, or not applicable with a reason. */
export function verdictOf<O>(meta: ProbeMeta, o: O, judge: Judge<O>): ProbeResult {
  const ev: Evidence = { observed: {}, expected: {} };
  let out: Outcome;
  try {
    out = judge(o, ev);
  } catch (err) {
    if (!(err instanceof NoObservation)) throw err;
    return result(meta, 'fail', ev, err.message);
  }
  if (typeof out === 'object') return result(meta, 'not applicable', ev, out.notApplicable);
  if (out) return result(meta, 'fail', ev, out);
  // A pass must rest on something seen in the lab.
  if (Object.values(ev.observed).every(isEmpty))
    return result(meta, 'fail', ev, 'no observation, no pass: the probe recorded nothing');
  return result(meta, 'pass', ev);
}

export function probe<O>(meta: ProbeMeta, run: (r: ProbeRunner) => Promise<O>, judge: Judge<O>): Probe {
  return { ...meta, run: async (r) => verdictOf(meta, await run(r), judge) };
}

/** A probe that cannot apply to this lab (decided from the model): reported, never a pass. */
export function notApplicable(meta: ProbeMeta, why: string, expected: Record<string, unknown> = {}): Probe {
  return { ...meta, run: async () => result(meta, 'not applicable', { observed: {}, expected }, why) };
}

/** A probe's result when it threw: a failure, not a crash. */
export function errored(meta: ProbeMeta, err: unknown): ProbeResult {
  return result(meta, 'fail', { observed: {}, expected: {} }, `probe error: ${(err as Error).message}`);
}
