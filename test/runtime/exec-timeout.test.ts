import { PassThrough } from 'stream';
import { ExecTimeoutError } from '../../src/errors';

// A fake engine: each exec's stream ends after `runMs` (or never, when undefined).
let runMs: number | undefined;
jest.mock('../../src/runtime/docker', () => ({
  docker: () => ({
    getContainer: () => ({
      exec: async () => ({
        start: async () => {
          const s = new PassThrough();
          s.resume(); // demuxStream reads it in the real engine
          if (runMs !== undefined) setTimeout(() => s.end(), runMs);
          return s;
        },
        inspect: async () => ({ ExitCode: 0 }),
      }),
    }),
    modem: { demuxStream: () => undefined },
  }),
}));

import { DEFAULT_EXEC_TIMEOUT_MS, exec } from '../../src/runtime/exec';

describe('exec timeout', () => {
  it('a command that does not finish fails with a typed error naming the container and argv', async () => {
    runMs = undefined;
    const err = await exec('k8s-netlab-t-node1', ['sh', '-c', 'sleep 1000'], { timeoutMs: 50 }).catch((e) => e);
    expect(err).toBeInstanceOf(ExecTimeoutError);
    expect(err.message).toBe('command timed out after 0.05 s in k8s-netlab-t-node1: sh -c sleep 1000');
    expect(err.cause).toEqual({ container: 'k8s-netlab-t-node1', argv: ['sh', '-c', 'sleep 1000'], timeoutMs: 50 });
    expect(err.exitCode).toBe(1);
  });
  it('a command that finishes in time returns its result', async () => {
    runMs = 10;
    const r = await exec('k8s-netlab-t-node1', ['true'], { timeoutMs: 2000 });
    expect(r).toMatchObject({ container: 'k8s-netlab-t-node1', exitCode: 0, failed: false });
  });
  it('the default is generous and the environment can override it', async () => {
    expect(DEFAULT_EXEC_TIMEOUT_MS).toBe(60_000);
    runMs = undefined;
    process.env.K8S_NETLAB_EXEC_TIMEOUT_MS = '30';
    try {
      await expect(exec('c', ['x'])).rejects.toThrow('command timed out after 0.03 s in c: x');
    } finally {
      delete process.env.K8S_NETLAB_EXEC_TIMEOUT_MS;
    }
  });
});
