/**
 * A long-running exec whose stdout is bytes, not text (pcap streams): stdout chunks go untouched
 * to a Writable, stderr is handed over line by line, stdin stays open until closed (so the
 * command can notice the CLI going away: the engine closes its stdin when the connection drops).
 */
import { PassThrough, Writable } from 'stream';
import { docker } from './docker';
import { EngineError } from '../errors';

export interface BinaryExecOptions {
  /** Where stdout's bytes go; not ended by this module (the caller owns it). */
  stdout: Writable;
  /** Each complete stderr line (without the newline), as it arrives. */
  onStderrLine?: (line: string) => void;
}

export interface BinaryExec {
  container: string;
  /** Resolves with the exit code once the command exited and stdout was fully written. */
  done: Promise<number>;
  /** Half-closes stdin: the command reads EOF. */
  closeStdin(): void;
  /** Everything the command printed on stderr so far. */
  stderr(): string;
}

export async function execBinary(container: string, argv: string[], opts: BinaryExecOptions): Promise<BinaryExec> {
  let e;
  let stream: NodeJS.ReadWriteStream;
  try {
    e = await docker()
      .getContainer(container)
      .exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, AttachStdin: true });
    stream = (await e.start({ hijack: true, stdin: true })) as unknown as NodeJS.ReadWriteStream;
  } catch (err) {
    throw new EngineError(`could not run ${argv[0]} in ${container}: ${(err as Error).message}`, { cause: err });
  }
  const out = new PassThrough();
  const err = new PassThrough();
  let errText = '';
  let partial = '';
  err.on('data', (d: Buffer) => {
    const s = d.toString('utf8');
    errText += s;
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) opts.onStderrLine?.(l);
  });
  // Bytes are copied as Buffers end to end: never decoded, so pcap data survives intact.
  out.on('data', (d: Buffer) => {
    if (!opts.stdout.write(d)) {
      out.pause();
      opts.stdout.once('drain', () => out.resume());
    }
  });
  docker().modem.demuxStream(stream, out, err);
  const ended = new Promise<void>((resolve) => {
    let settled = false;
    const fin = () => {
      if (settled) return;
      settled = true;
      resolve();
    };
    stream.on('end', fin);
    stream.on('close', fin);
    stream.on('error', fin);
  });
  let stdinClosed = false;
  const closeStdin = () => {
    if (stdinClosed) return;
    stdinClosed = true;
    try {
      (stream as unknown as { end: () => void }).end();
    } catch {
      /* already closed */
    }
  };
  const done = ended.then(async () => {
    if (partial) opts.onStderrLine?.(partial);
    partial = '';
    closeStdin();
    // The engine reports the exit code a moment after the stream ends.
    for (let i = 0; i < 50; i++) {
      const info = await e!.inspect();
      if (!info.Running) return info.ExitCode ?? -1;
      await new Promise((r) => setTimeout(r, 20));
    }
    return -1;
  });
  return { container, done, closeStdin, stderr: () => errText };
}
