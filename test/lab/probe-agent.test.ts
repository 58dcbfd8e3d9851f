/**
 * The agent runner with the engine replaced by local processes: an "exec session" is the real
 * agent program run here, a plain exec is recorded. Containers whose session fails fall back to
 * plain execs; every command reaches the agent with the target's argv.
 */
import { spawn } from 'child_process';
import type { ExecResult } from '../../src/model/exec';
import { agentRunner } from '../../src/lab/probe-agent';
import { ExecTimeoutError } from '../../src/errors';

const sessions: string[] = [];
const execs: string[] = [];
let refuse = new Set<string>();

jest.mock('../../src/runtime/exec-session', () => ({
  execSession: async (container: string, argv: string[], onStdout: (s: string) => void) => {
    if (refuse.has(container)) throw new Error(`container ${container} is not running`);
    sessions.push(container);
    const p = spawn(argv[0], argv.slice(1));
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', onStdout);
    const ended = new Promise<void>((resolve) => p.on('exit', () => resolve()));
    return {
      write: (t: string) => p.stdin.write(t),
      closeStdin: () => p.stdin.end(),
      ended,
      destroy: () => p.kill('SIGKILL'),
    };
  },
}));

jest.mock('../../src/runtime/exec', () => ({
  DEFAULT_EXEC_TIMEOUT_MS: 60_000,
  exec: async (container: string, argv: string[]): Promise<ExecResult> => {
    execs.push(`${container}: ${argv.join(' ')}`);
    return { container, command: argv.join(' '), exitCode: 0, stdout: 'by exec\n', stderr: '', failed: false };
  },
}));

beforeEach(() => {
  sessions.length = 0;
  execs.length = 0;
  refuse = new Set();
  delete process.env.K8S_NETLAB_EXEC_TIMEOUT_MS;
});

const node = { id: 'node1', container: 'c-node1' };

describe('agent runner', () => {
  it('one agent per container, however many commands; results as exec gives them', async () => {
    const r = agentRunner();
    const [a, b, c] = await Promise.all([
      r.run(node, ['echo', 'one']),
      r.sh(node, 'echo two; exit 3'),
      r.run({ id: 'vpc', container: 'c-vpc' }, ['sh', '-c', 'echo err >&2']),
    ]);
    await r.close();
    expect(sessions.sort()).toEqual(['c-node1', 'c-vpc']);
    expect(execs).toEqual([]);
    expect(a).toEqual({
      container: 'c-node1',
      command: 'echo one',
      exitCode: 0,
      stdout: 'one\n',
      stderr: '',
      failed: false,
    });
    expect(b).toMatchObject({ command: 'sh -c echo two; exit 3', exitCode: 3, stdout: 'two\n', failed: true });
    expect(c).toMatchObject({ exitCode: 0, stderr: 'err\n', failed: false });
  });

  it("a pod target's command enters the pod (the same argv a plain exec would run)", async () => {
    const r = agentRunner();
    // The agent runs it here, where nsenter into that pod fails: what matters is the argv it got.
    const res = await r.run({ id: 'node1/pod1', container: 'c-node1', netns: 'pod1' }, ['true']);
    await r.close();
    expect(res.command).toBe('nsenter --uts=/run/k8s-netlab/uts/pod1 ip netns exec pod1 true');
    expect(res.failed).toBe(true);
  });

  it('a container the agent cannot start in gets plain execs, and says why', async () => {
    refuse = new Set(['c-node1']);
    const r = agentRunner();
    const res = await r.run(node, ['echo', 'x']);
    await r.run(node, ['echo', 'y']);
    await r.close();
    expect(res.stdout).toBe('by exec\n');
    expect(execs).toEqual(['c-node1: echo x', 'c-node1: echo y']);
    expect(r.fallbacks.get('c-node1')).toMatch(/not running/);
  });

  it('a command past the exec timeout fails as a timed-out exec does', async () => {
    process.env.K8S_NETLAB_EXEC_TIMEOUT_MS = '1000';
    const r = agentRunner();
    await expect(r.run(node, ['sleep', '20'])).rejects.toBeInstanceOf(ExecTimeoutError);
    await r.close();
  });

  it('close stops every agent; a command after close fails instead of hanging', async () => {
    const r = agentRunner();
    await r.run(node, ['true']);
    await r.close();
    await expect(r.run(node, ['true'])).rejects.toThrow(/ended/);
  });
});
