/**
 * Running captures in lab containers: tcpdump writes the pcap to the exec's stdout, streamed
 * byte for byte to a host file (or the CLI's stdout). Armed = tcpdump printed "listening on";
 * stopped = the exec's stdin closed, so tcpdump gets SIGTERM, flushes and exits by itself.
 */
import * as fs from 'fs';
import { Writable } from 'stream';
import { LabModel } from '../model/types';
import { LabError } from '../errors';
import { exec } from '../runtime/exec';
import { execBinary } from '../runtime/exec-binary';
import { listLabContainers } from '../runtime/containers';
import { tcpdumpArgv, CapturePoint } from '../trace/capture-plan';
import {
  captureArgv,
  isListeningLine,
  parsePidLine,
  parseTcpdumpStats,
  tcpdumpError,
  TcpdumpStats,
} from '../trace/capture-script';
import {
  CaptureTarget,
  indexCapturePoints,
  LinkListing,
  LIST_LINKS_SCRIPT,
  parseLinkListing,
  PointIndex,
} from '../trace/capture-points';

/** Every capture point of the running lab: the model's, plus what `ip -o link` shows in each container and pod. */
export async function observeCapturePoints(model: LabModel): Promise<PointIndex> {
  const cs = (await listLabContainers(model.name)).filter((c) => c.state === 'running');
  const listings: Record<string, LinkListing> = {};
  await Promise.all(
    cs.map(async (c) => {
      const r = await exec(c.name, ['sh', '-c', LIST_LINKS_SCRIPT]).catch(() => undefined);
      if (r && !r.failed) listings[c.name] = parseLinkListing(r.stdout);
    }),
  );
  return indexCapturePoints(model, cs, listings);
}

export interface CaptureRequest {
  point: CapturePoint;
  target: CaptureTarget;
  /** Host file the pcap goes to, or a stream (stdout for `-w -`). */
  file?: string;
  stream?: Writable;
  filter?: string;
  count?: number;
  /** Whole seconds after which `timeout` stops tcpdump in any case. */
  safetySeconds: number;
}

export interface CaptureOutcome {
  point: string;
  file?: string;
  exitCode: number;
  bytes: number;
  stats: TcpdumpStats;
  /** tcpdump's own error line, when it failed. */
  error?: string;
  stderr: string;
}

export interface RunningCapture {
  point: string;
  file?: string;
  /** Resolves once tcpdump listens; rejects if it exits first or does not start in time. */
  listening: Promise<void>;
  /** Resolves when tcpdump exited and the pcap is complete on the host. */
  done: Promise<CaptureOutcome>;
  /** Ask tcpdump to stop (SIGTERM through the wrapper); idempotent. */
  stop(): void;
  /** True once tcpdump exited. */
  finished(): boolean;
}

const LISTEN_TIMEOUT_MS = 15_000;

/** Counts bytes on their way to the real destination. */
class CountingSink extends Writable {
  bytes = 0;
  constructor(private readonly dest: Writable) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.bytes += chunk.length;
    // A destination that failed (the reader of `-w -` went away) swallows the rest: the capture is being stopped.
    if (this.dest.destroyed || this.dest.errored) return cb();
    this.dest.write(chunk, () => cb());
  }
}

export async function startCapture(req: CaptureRequest, log?: (line: string) => void): Promise<RunningCapture> {
  const fileStream = req.file ? fs.createWriteStream(req.file) : undefined;
  const dest = fileStream ?? req.stream;
  if (!dest) throw new Error('a capture needs a file or a stream');
  const sink = new CountingSink(dest);
  const argv = captureArgv(
    tcpdumpArgv({
      iface: req.point.iface,
      file: '-',
      filter: req.filter,
      count: req.count,
      netns: req.target.netns,
      nanos: true,
    }),
    req.safetySeconds,
  );
  let onListen: () => void = () => undefined;
  let onFail: (e: Error) => void = () => undefined;
  const listening = new Promise<void>((resolve, reject) => {
    onListen = resolve;
    onFail = reject;
  });
  const h = await execBinary(req.target.container, argv, {
    stdout: sink,
    onStderrLine: (line) => {
      // The wrapper's pid line is for debugging (`lab capture --debug`); the stop goes through stdin.
      if (parsePidLine(line) !== undefined) return;
      if (isListeningLine(line)) {
        log?.(`${req.point.point}: ${line.replace(/^tcpdump: /, '')}`);
        onListen();
      }
    },
  });
  let isDone = false;
  const done = h.done.then(async (exitCode) => {
    isDone = true;
    await new Promise<void>((resolve) => sink.end(resolve));
    if (fileStream) {
      await new Promise<void>((resolve, reject) => {
        fileStream.once('error', reject);
        fileStream.end(() => resolve());
      });
    }
    const stderr = h.stderr();
    const stats = parseTcpdumpStats(stderr);
    // 124: timeout's own code when the safety net fired; tcpdump stopped cleanly by SIGTERM exits 0.
    const error =
      exitCode === 0 || exitCode === 124 ? undefined : (tcpdumpError(stderr) ?? `tcpdump exited ${exitCode}`);
    const outcome: CaptureOutcome = {
      point: req.point.point,
      file: req.file,
      exitCode,
      bytes: sink.bytes,
      stats,
      error,
      stderr,
    };
    onFail(new LabError(`capture at ${req.point.point} ended before it was listening: ${error ?? stderr.trim()}`));
    return outcome;
  });
  const timer = setTimeout(
    () =>
      onFail(
        new LabError(`capture at ${req.point.point} did not start listening within ${LISTEN_TIMEOUT_MS / 1000} s`),
      ),
    LISTEN_TIMEOUT_MS,
  );
  listening.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );
  return {
    point: req.point.point,
    file: req.file,
    listening,
    done,
    stop: () => h.closeStdin(),
    finished: () => isDone,
  };
}

/**
 * Start every capture and wait until each one listens. If any fails to start, the others are
 * stopped and the error names the point and tcpdump's message.
 */
export async function startCaptures(reqs: CaptureRequest[], log?: (line: string) => void): Promise<RunningCapture[]> {
  const started = await Promise.allSettled(reqs.map((r) => startCapture(r, log)));
  const running = started
    .filter((s): s is PromiseFulfilledResult<RunningCapture> => s.status === 'fulfilled')
    .map((s) => s.value);
  const failedStart = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failedStart) {
    await stopCaptures(running);
    throw failedStart.reason;
  }
  const armed = await Promise.allSettled(running.map((c) => c.listening));
  const bad = armed.findIndex((a) => a.status === 'rejected');
  if (bad >= 0) {
    await stopCaptures(running);
    throw (armed[bad] as PromiseRejectedResult).reason;
  }
  return running;
}

/** Stop captures and wait until each pcap is complete. */
export async function stopCaptures(running: RunningCapture[]): Promise<CaptureOutcome[]> {
  for (const c of running) c.stop();
  return Promise.all(running.map((c) => c.done));
}
