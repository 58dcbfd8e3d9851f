/**
 * `lab trace PATH`: arm tcpdump at every capture point of the path, send one probe carrying a
 * unique marker, stop the captures cleanly, and reconstruct the probe's life from the real pcaps.
 * Writes the pcaps and trace.{json,md,mmd,svg,html} into one directory.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LabModel } from '../model/types';
import { LabError } from '../errors';
import { exec } from '../runtime/exec';
import { resolveTarget, targetArgv } from '../plan/targets';
import { analyzeTrace, traceJson, TraceResult } from '../trace/analyze';
import { pcapFileName, splitCapturePoint } from '../trace/capture-plan';
import { readPcap } from '../trace/pcap';
import { renderTraceHtml, renderTraceMarkdown, renderTraceMermaid, renderTraceSvg } from '../trace/render';
import { parseCurl } from '../observe/curl';
import { dropsBetween, PolicyDrop, readDropCounts } from './netpol';
import { CaptureOutcome, observeCapturePoints, RunningCapture, startCaptures, stopCaptures } from './capture';
import { indexCapturePoints, pointTarget, CaptureTarget } from '../trace/capture-points';
import { branchOrder, chooseBranch, planPoints, TraceBranch, TracePlan } from '../paths/common/trace';
import { tracePlan } from '../paths';

export interface TraceTimings {
  /** Until every tcpdump listened. */
  armMs: number;
  probeMs: number;
  /** Settle, stop, and the pcaps complete on the host. */
  stopMs: number;
  analyzeMs: number;
  totalMs: number;
}

export interface TraceRun {
  plan: TracePlan;
  result: TraceResult;
  /** The branch the probe took (Service backends), when the path has branches. */
  branch?: TraceBranch;
  /** The request reached the branch's last point (false: the branch is only the likeliest). */
  branchReached?: boolean;
  dir: string;
  probe: { exitCode: number; httpStatus?: number; body?: string; stderr: string };
  /** Policy labs: NetworkPolicy drops of the probe's connection, observed in the nodes' drop sets. */
  policyDrops?: PolicyDrop[];
  /** Frames in each pcap, by point. */
  pcaps: Record<string, { file: string; frames: number; bytes: number }>;
  outcomes: CaptureOutcome[];
  timings: TraceTimings;
}

export interface TraceOptions {
  /** Directory for the pcaps and reports (created). */
  dir: string;
  marker?: string;
  /** Wait after the probe returns before stopping the captures (ms). */
  settleMs?: number;
  log?: (line: string) => void;
  /** Called with the running captures, so a signal handler can stop them. */
  onArmed?: (running: RunningCapture[]) => void;
}

/** Safety net: no trace capture may outlive this, whatever happens to the CLI. */
const TRACE_SAFETY_S = 60;

/** Where each point's tcpdump runs: from the model, or by looking into the containers for points it does not know. */
async function targetsFor(model: LabModel, points: string[]): Promise<Record<string, CaptureTarget>> {
  let idx = indexCapturePoints(model, [], {});
  if (points.some((p) => !idx.targets[pointTarget(p)])) idx = await observeCapturePoints(model);
  const missing = points.filter((p) => !idx.targets[pointTarget(p)]);
  if (missing.length)
    throw new LabError(`the trace needs capture points this lab does not have: ${missing.join(', ')}`);
  return idx.targets;
}

export async function runTrace(model: LabModel, pathId: string, opts: TraceOptions): Promise<TraceRun> {
  const t0 = Date.now();
  const plan = tracePlan(model, pathId, opts.marker);
  const points = planPoints(plan);
  const from = resolveTarget(model, plan.from);
  const targets = await targetsFor(model, points);
  fs.mkdirSync(opts.dir, { recursive: true });
  const files: Record<string, string> = {};
  for (const p of points) files[p] = pcapFileName(p);
  const reqs = points.map((p) => ({
    point: splitCapturePoint(p)!,
    target: targets[pointTarget(p)],
    file: path.join(opts.dir, files[p]),
    filter: plan.filter,
    safetySeconds: TRACE_SAFETY_S,
  }));
  // On a policy lab, the policy drop sets before and after the probe say which rule dropped it.
  const hasPolicies = (model.networkPolicies?.length ?? 0) > 0;
  const dropsBefore = hasPolicies ? await readDropCounts(model) : undefined;
  const running = await startCaptures(reqs, opts.log);
  opts.onArmed?.(running);
  const tArmed = Date.now();
  let outcomes: CaptureOutcome[] = [];
  let probe: TraceRun['probe'];
  let probeMs = 0;
  try {
    opts.log?.(`probe from ${plan.from}: ${plan.probe.join(' ').replace(/\n/g, '\\n')}`);
    const r = await exec(from.container, targetArgv(from, plan.probe));
    const http = plan.probe[0] === 'curl' ? parseCurl(r.stdout, r.exitCode) : undefined;
    probe = { exitCode: r.exitCode, httpStatus: http?.status, body: http?.body, stderr: r.stderr };
  } finally {
    // Packets the probe caused are already on the wire when it returns; the settle covers the last ACK/FIN.
    probeMs = Date.now() - tArmed;
    await new Promise((res) => setTimeout(res, opts.settleMs ?? 150));
    outcomes = await stopCaptures(running);
  }
  const tStopped = Date.now();
  const srcIp = from.pod?.ip;
  const policyDrops =
    dropsBefore && srcIp && plan.first?.dst && plan.first.dport && plan.first.proto
      ? await dropsBetween(
          model,
          dropsBefore,
          await readDropCounts(model),
          srcIp,
          plan.first.dst,
          plan.first.proto,
          plan.first.dport,
        )
      : undefined;
  const failed = outcomes.find((o) => o.error);
  if (failed) throw new LabError(`capture at ${failed.point} failed: ${failed.error}`);

  const bufs: Record<string, Buffer> = {};
  const pcaps: TraceRun['pcaps'] = {};
  for (const p of points) {
    bufs[p] = fs.readFileSync(path.join(opts.dir, files[p]));
    const o = outcomes.find((x) => x.point === p)!;
    pcaps[p] = { file: files[p], frames: readPcap(bufs[p]).frames.length, bytes: o.bytes };
  }
  // The marker alone first: a seed such as "SYN to node:30080" also fits other traffic (the load
  // balancer's health checks). The seed is the fallback for a probe whose marker never went out
  // (a connection nobody answered).
  const analyze = (order: string[]) => {
    const input = {
      path: plan.path,
      marker: plan.marker,
      order,
      hops: order.map((p) => ({ point: p, pcapFile: files[p], pcap: bufs[p] })),
    };
    const byMarker = analyzeTrace(input);
    if (byMarker.hops.length > 0 || !plan.first) return byMarker;
    return analyzeTrace({ ...input, first: plan.first });
  };
  let branch: TraceBranch | undefined;
  let branchReached: boolean | undefined;
  let result: TraceResult;
  if (plan.branches?.length) {
    // Capture every branch, then keep the one the request took (e.g. the backend the DNAT chose).
    const all = analyze(points);
    const seen = new Set(all.hops.filter((h) => h.direction === 'request').map((h) => h.point));
    branch = chooseBranch(plan, (p) => seen.has(p));
    branchReached = !!branch && seen.has(branch.points[branch.points.length - 1]);
    result = analyze(branchOrder(plan, branch));
  } else {
    result = analyze(plan.points);
  }
  const tDone = Date.now();
  const run: TraceRun = {
    plan,
    result,
    branch,
    branchReached,
    dir: opts.dir,
    probe: probe!,
    ...(policyDrops ? { policyDrops } : {}),
    pcaps,
    outcomes,
    timings: {
      armMs: tArmed - t0,
      probeMs,
      stopMs: tStopped - tArmed - probeMs,
      analyzeMs: tDone - tStopped,
      totalMs: tDone - t0,
    },
  };
  writeTraceFiles(run);
  return run;
}

/** The `--json` document: traceJson's fields, then where the files are and what was sent. */
export function traceDocument(run: TraceRun): Record<string, unknown> {
  return {
    ...traceJson(run.result),
    marker: run.plan.marker,
    from: run.plan.from,
    to: run.plan.to,
    probe: run.plan.probe.join(' '),
    probeResult: { exitCode: run.probe.exitCode, httpStatus: run.probe.httpStatus },
    branch: run.branch ? { label: run.branch.label, reached: run.branchReached } : undefined,
    replied: run.result.replied,
    dir: run.dir,
    pcaps: run.pcaps,
    warnings: run.result.warnings,
    ...(run.policyDrops ? { policyDrops: run.policyDrops } : {}),
    timings: run.timings,
  };
}

/** Text lines for the NetworkPolicy drops a trace observed (none on a lab without policies). */
export function policyDropLines(run: TraceRun): string[] {
  if (!run.policyDrops) return [];
  if (!run.policyDrops.length) return ['no NetworkPolicy drop counted for this connection'];
  return run.policyDrops.map(
    (d) =>
      `dropped by NetworkPolicy at ${d.node} ${d.dir}: ${d.packets} packet(s), rule "${d.rule}" (the node's drop set counted this connection)`,
  );
}

function writeTraceFiles(run: TraceRun): void {
  const w = (name: string, text: string) => fs.writeFileSync(path.join(run.dir, name), text);
  w('trace.json', JSON.stringify(traceDocument(run), null, 2) + '\n');
  w('trace.md', renderTraceMarkdown(run.result));
  w('trace.mmd', renderTraceMermaid(run.result));
  w('trace.svg', renderTraceSvg(run.result));
  w('trace.html', renderTraceHtml(run.result));
}

/** The probe was seen at the end of the path and its reply came back. */
export function traceReachedEnd(run: TraceRun): boolean {
  return run.result.missing.length === 0 && run.result.replied;
}
