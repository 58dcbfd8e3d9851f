/** Interactive-ish exec for `lab exec`: streams output, forwards stdin when piped, returns the exit code. */
import { docker } from './docker';
import { explainExecFailure } from './exec';

export async function execStream(container: string, argv: string[]): Promise<number> {
  const withStdin = !process.stdin.isTTY;
  let e;
  let stream;
  try {
    e = await docker()
      .getContainer(container)
      .exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, AttachStdin: withStdin });
    stream = await e.start({ hijack: true, stdin: withStdin });
  } catch (err) {
    return explainExecFailure(container, err);
  }
  docker().modem.demuxStream(stream, process.stdout, process.stderr);
  if (withStdin) {
    process.stdin.pipe(stream);
    process.stdin.on('end', () => (stream as unknown as { end: () => void }).end());
  }
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
  });
  process.stdin.unpipe(stream);
  process.stdin.pause();
  const info = await e.inspect();
  return info.ExitCode ?? 1;
}
