/** Interactive-ish exec for `lab exec`: streams output, forwards stdin when piped, returns the exit code. */
import { docker } from './docker';

export async function execStream(container: string, argv: string[]): Promise<number> {
  const withStdin = !process.stdin.isTTY;
  const e = await docker().getContainer(container).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, AttachStdin: withStdin });
  const stream = await e.start({ hijack: true, stdin: withStdin });
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
