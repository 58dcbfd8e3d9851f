/** Runs commands inside lab containers through the engine's exec API; results carry their failure fields. */
import { PassThrough } from 'stream';
import { docker } from './docker';
import { ExecError, ExecTimeoutError } from '../errors';
import { notRunning } from './containers';
import { LABEL_LAB } from '../model/types';
import type { ExecResult } from '../model/exec';

// Defined in the model so that probes and renderers name it without importing the runtime.
export type { ExecResult };

export interface ExecOptions {
  /** Text fed to the command's standard input (e.g. a script for `sh -s`). */
  input?: string;
  env?: string[];
  /** How long the command may run before the exec fails with ExecTimeoutError (default DEFAULT_EXEC_TIMEOUT_MS). */
  timeoutMs?: number;
}

/**
 * Every exec is bounded: a command that hangs (a wait loop with a bug, a stuck kernel call) fails
 * with an error naming it instead of hanging `lab up`. Generous, as the slowest setup script on a
 * loaded machine takes seconds; K8S_NETLAB_EXEC_TIMEOUT_MS overrides the default.
 */
export const DEFAULT_EXEC_TIMEOUT_MS = 60_000;

/** Pod setup on one node (CNI ADD per pod, its processes): the default plus a second a pod, for scale labs. */
export function podSetupTimeoutMs(pods: number): number {
  return DEFAULT_EXEC_TIMEOUT_MS + 1_000 * pods;
}

function timeoutOf(opts: ExecOptions): number {
  const env = Number(process.env.K8S_NETLAB_EXEC_TIMEOUT_MS);
  return opts.timeoutMs ?? (env > 0 ? env : DEFAULT_EXEC_TIMEOUT_MS);
}

/** Runs argv in the container and collects its output; never throws for a non-zero exit. */
export async function exec(container: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const t0 = Date.now();
  const r = await execOnce(container, argv, opts);
  // K8S_NETLAB_DEBUG_EXEC=1: every exec with its duration, to see where a slow command spends time.
  if (process.env.K8S_NETLAB_DEBUG_EXEC) {
    const what = (opts.input ?? argv.join(' ')).split('\n').find((l) => l.trim() && !l.startsWith('set -')) ?? '';
    process.stderr.write(`exec ${Date.now() - t0}ms ${container} exit=${r.exitCode}: ${what.slice(0, 120)}\n`);
  }
  return r;
}

/** The engine's 409 for an exec into a stopped container becomes an error naming it and the fix. */
export async function explainExecFailure(container: string, err: unknown): Promise<never> {
  if ((err as { statusCode?: number }).statusCode === 409) {
    const info = await docker()
      .getContainer(container)
      .inspect()
      .catch(() => undefined);
    if (info && !info.State.Running) throw notRunning(container, info.State.Status, info.Config?.Labels?.[LABEL_LAB]);
  }
  throw err;
}

async function execOnce(container: string, argv: string[], opts: ExecOptions): Promise<ExecResult> {
  try {
    return await execOnceRaw(container, argv, opts);
  } catch (err) {
    return explainExecFailure(container, err);
  }
}

async function execOnceRaw(container: string, argv: string[], opts: ExecOptions): Promise<ExecResult> {
  const c = docker().getContainer(container);
  const e = await c.exec({
    Cmd: argv,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: opts.input !== undefined,
    Env: opts.env,
  });
  const stream = await e.start({ hijack: true, stdin: opts.input !== undefined });
  const out = new PassThrough();
  const err = new PassThrough();
  const outChunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  out.on('data', (d: Buffer) => outChunks.push(d));
  err.on('data', (d: Buffer) => errChunks.push(d));
  docker().modem.demuxStream(stream, out, err);
  const timeoutMs = timeoutOf(opts);
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
    timer = setTimeout(() => {
      // The engine has no call to stop an exec: closing the stream frees us; the command may linger.
      reject(new ExecTimeoutError({ container, argv, timeoutMs }));
      stream.destroy();
    }, timeoutMs);
  });
  if (opts.input !== undefined) {
    stream.write(opts.input);
    // Half-close so the command sees EOF on stdin while we keep reading its output.
    (stream as unknown as { end: () => void }).end();
  }
  try {
    await done;
  } finally {
    clearTimeout(timer);
  }
  const info = await e.inspect();
  const exitCode = info.ExitCode ?? -1;
  return {
    container,
    command: argv.join(' '),
    exitCode,
    stdout: Buffer.concat(outChunks).toString('utf8'),
    stderr: Buffer.concat(errChunks).toString('utf8'),
    failed: exitCode !== 0,
  };
}

/** Runs a shell script (sh -s) in the container. */
export function execScript(container: string, script: string, opts: ExecOptions = {}): Promise<ExecResult> {
  return exec(container, ['sh', '-s'], { ...opts, input: script });
}

/** Like exec, but throws ExecError (with stdout/stderr) when the command fails. */
export async function execOk(container: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const r = await exec(container, argv, opts);
  if (r.failed)
    throw new ExecError({ container, command: r.command, exitStatus: r.exitCode, stdout: r.stdout, stderr: r.stderr });
  return r;
}

export async function execScriptOk(
  container: string,
  script: string,
  what = 'script',
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const r = await execScript(container, script, opts);
  if (r.failed) {
    throw new ExecError({ container, command: what, exitStatus: r.exitCode, stdout: r.stdout, stderr: r.stderr });
  }
  return r;
}
