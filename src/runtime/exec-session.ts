/**
 * A long-running exec that keeps stdin open for text written to it over time and hands its
 * output over as it arrives (the probe agent: one exec per container for a whole verify).
 */
import { PassThrough } from 'stream';
import { docker } from './docker';
import { explainExecFailure } from './exec';

export interface ExecSession {
  write(text: string): void;
  /** Half-closes stdin: the command reads EOF. */
  closeStdin(): void;
  /** Resolves when the command's output ended (it exited, or the engine dropped the stream). */
  ended: Promise<void>;
  /** Drops the connection (the command sees its stdin close). */
  destroy(): void;
}

export async function execSession(
  container: string,
  argv: string[],
  onStdout: (text: string) => void,
  onStderr: (text: string) => void = () => undefined,
): Promise<ExecSession> {
  let stream: NodeJS.ReadWriteStream & { destroy(): void };
  try {
    const e = await docker()
      .getContainer(container)
      .exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, AttachStdin: true });
    stream = (await e.start({ hijack: true, stdin: true })) as unknown as typeof stream;
  } catch (err) {
    return explainExecFailure(container, err);
  }
  const out = new PassThrough();
  const err = new PassThrough();
  out.setEncoding('utf8');
  err.setEncoding('utf8');
  out.on('data', onStdout);
  err.on('data', onStderr);
  docker().modem.demuxStream(stream, out, err);
  const ended = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  let closed = false;
  return {
    write: (text) => {
      if (!closed) stream.write(text);
    },
    closeStdin: () => {
      if (closed) return;
      closed = true;
      (stream as unknown as { end: () => void }).end();
    },
    ended,
    destroy: () => {
      closed = true;
      stream.destroy();
    },
  };
}
