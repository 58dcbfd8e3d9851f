/**
 * What a trace plan is (who sends the probe, the probe command carrying a unique marker the
 * trace finds in the pcaps, the capture points in order) and how a trace picks the branch the
 * probe took. Each path's plan is in src/paths/<path>/trace.ts; the registry is src/paths/index.ts.
 */
import { randomBytes } from 'crypto';
import { InputError } from '../../errors';
import type { LabModel } from '../../model/types';
import type { FlowSeed } from '../../trace/flow-types';

export interface TraceBranch {
  /** Which way this branch goes (`backend web-xyz on node2`). */
  label: string;
  points: string[];
}

export interface TracePlan {
  path: string;
  title: string;
  /** Where the probe runs: a target `lab exec` accepts. */
  from: string;
  /** What it reaches, in words (`node2/pod3`, `Service default/web 10.96.0.12:80`). */
  to: string;
  /** The probe, run in `from` (in the pod's namespace for a pod). */
  probe: string[];
  /** Unique bytes in the probe's payload. */
  marker: string;
  /** Capture points on the request path, in order (common to every branch). */
  points: string[];
  /**
   * Alternative continuations after `points` (e.g. one per Service backend): all are captured,
   * the trace keeps the one the probe took.
   */
  branches?: TraceBranch[];
  /** BPF filter for every capture: IPv4 only keeps ARP and IPv6 chatter out. */
  filter: string;
  /**
   * The probe's first packet as the sender knows it (e.g. a SYN to VIP:80): finds the flow even
   * when the marker never goes out, because the connection was never answered.
   */
  first?: FlowSeed;
}

export interface TracePathDef {
  id: string;
  title: string;
  /** The plan for this lab; throws PathUnavailable when the lab has nothing to trace on this path. */
  plan(model: LabModel, marker: string): TracePlan;
}

/** The lab has no setup for this path (e.g. no NodePort Service). */
export class PathUnavailable extends InputError {
  constructor(path: string, why: string) {
    super(`cannot trace ${path} in this lab: ${why}`, {
      field: 'path',
      hint: 'add what the path needs to the topology, or trace another path',
    });
  }
}

/** `k8s-netlab-trace-<8 hex>`: unique per run, a valid DNS label and URL word. */
export function newMarker(random: () => string = () => randomBytes(4).toString('hex')): string {
  return `k8s-netlab-trace-${random()}`;
}

/** Every point a plan captures, each once: the common points, then each branch's. */
export function planPoints(plan: TracePlan): string[] {
  return dedupe([...plan.points, ...(plan.branches ?? []).flatMap((b) => b.points)]);
}

/** The request-path order when the probe took `branch`. */
export function branchOrder(plan: TracePlan, branch?: TraceBranch): string[] {
  return dedupe([...plan.points, ...(branch?.points ?? [])]);
}

/**
 * The branch the probe took, from which points saw the request: one whose last point saw it,
 * with fewest points missed, then most seen (ties: the first); when none reached its end, the
 * one seen furthest. Undefined without branches.
 */
export function chooseBranch(plan: TracePlan, sawRequest: (point: string) => boolean): TraceBranch | undefined {
  const bs = plan.branches ?? [];
  if (!bs.length) return undefined;
  // Branches may share their last point (one backend behind several entry nodes): among those
  // that reached it, the one with most points seen; likewise among all when none did.
  const reached = bs.filter((b) => b.points.length > 0 && sawRequest(b.points[b.points.length - 1]));
  const pool = reached.length ? reached : bs;
  const own = (b: TraceBranch) => b.points.filter((p) => !plan.points.includes(p));
  // Fewest points the request skipped first (a detour through another node that did not
  // happen), then most points seen.
  const unseen = (b: TraceBranch) => own(b).filter((p) => !sawRequest(p)).length;
  const seen = (b: TraceBranch) => own(b).length - unseen(b);
  const better = (a: TraceBranch, b: TraceBranch) =>
    reached.length ? unseen(a) - unseen(b) || seen(b) - seen(a) : seen(b) - seen(a);
  return pool.reduce((best, b) => (better(b, best) < 0 ? b : best), pool[0]);
}

/** Each point once, in first-seen order. */
export function dedupe(points: string[]): string[] {
  return [...new Set(points)];
}
