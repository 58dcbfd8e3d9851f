/** The probe agent (images/probes/agent.py) run as a local process, driven by its client. */
import { spawn } from 'child_process';
import { programSource } from '../../src/images/programs';
import { AgentClient } from '../../src/observe/agent-client';

function localAgent(maxRunning = 8): { client: AgentClient; exited: Promise<number | null>; kill: () => void } {
  const p = spawn('python3', ['-c', programSource('probeAgent'), String(maxRunning)]);
  const client = new AgentClient({ write: (t) => p.stdin.write(t), close: () => p.stdin.end() }, 'local');
  p.stdout.setEncoding('utf8');
  p.stdout.on('data', (s: string) => client.data(s));
  const exited = new Promise<number | null>((resolve) =>
    p.on('exit', (code) => {
      client.ended('the local agent exited');
      resolve(code);
    }),
  );
  return { client, exited, kill: () => p.kill('SIGKILL') };
}

describe('probe agent', () => {
  it('runs commands side by side and answers each by its id: exit code, stdout, stderr', async () => {
    const { client, exited } = localAgent();
    await client.ready;
    const [slow, fast, failed] = await Promise.all([
      client.request(['sh', '-c', 'sleep 0.6; echo slow'], 10),
      client.request(['sh', '-c', 'echo fast; echo oops >&2'], 10),
      client.request(['sh', '-c', 'exit 7'], 10),
    ]);
    expect(slow).toEqual({ exit: 0, stdout: 'slow\n', stderr: '', timedOut: false });
    expect(fast).toEqual({ exit: 0, stdout: 'fast\n', stderr: 'oops\n', timedOut: false });
    expect(failed.exit).toBe(7);
    client.close();
    expect(await exited).toBe(0);
  });

  it('commands do not share one turn: the second answers while the first still runs', async () => {
    const { client } = localAgent();
    await client.ready;
    const order: string[] = [];
    await Promise.all([
      client.request(['sleep', '1'], 10).then(() => order.push('sleep')),
      client.request(['echo', 'x'], 10).then(() => order.push('echo')),
    ]);
    expect(order).toEqual(['echo', 'sleep']);
    client.close();
  });

  it('a command past its timeout is killed with its process group: timedOut, exit -1', async () => {
    const { client } = localAgent();
    await client.ready;
    const a = await client.request(['sh', '-c', 'sleep 30 & sleep 30; echo never'], 1);
    expect(a.timedOut).toBe(true);
    expect(a.exit).toBe(-1);
    expect(a.stdout).toBe('');
    client.close();
  });

  it('stdin is /dev/null, as docker exec gives it; a missing program exits 127; a killed one 128+signal', async () => {
    const { client } = localAgent();
    await client.ready;
    const [cat, missing, killed] = await Promise.all([
      client.request(['cat'], 5),
      client.request(['/no/such/program'], 5),
      client.request(['sh', '-c', 'kill -9 $$'], 5),
    ]);
    expect(cat).toEqual({ exit: 0, stdout: '', stderr: '', timedOut: false });
    expect(missing.exit).toBe(127);
    expect(missing.stderr).toMatch(/no\/such\/program/);
    expect(killed.exit).toBe(137);
    client.close();
  });

  it('at most MAX_RUNNING commands run at once; the others wait their turn and still answer', async () => {
    const { client } = localAgent(2);
    await client.ready;
    const t0 = Date.now();
    const all = await Promise.all([1, 2, 3, 4].map(() => client.request(['sleep', '0.5'], 10)));
    expect(all.every((a) => a.exit === 0)).toBe(true);
    // Two turns of 0.5 s: not all four at once.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    client.close();
  });

  it('an agent that ends fails every waiting request with why, and refuses new ones', async () => {
    const { client, exited, kill } = localAgent();
    await client.ready;
    const waiting = client.request(['sleep', '3'], 60);
    client.data('not json\n');
    await expect(waiting).rejects.toThrow(/the agent in local printed a line that is not JSON: not json/);
    await expect(client.request(['echo'], 5)).rejects.toThrow(/not JSON/);
    kill();
    await exited;
  });

  it('an agent that never says ready rejects ready', async () => {
    const client = new AgentClient({ write: () => undefined, close: () => undefined }, 'nowhere');
    client.ended('the probe agent in nowhere ended: python3: not found');
    await expect(client.ready).rejects.toThrow(/python3: not found/);
  });

  it('answers split over chunks are put back together', async () => {
    const writes: string[] = [];
    const client = new AgentClient({ write: (t) => writes.push(t), close: () => undefined }, 'chunks');
    client.data('{"rea');
    client.data('dy": true}\n');
    await client.ready;
    const p = client.request(['echo', 'hi'], 5);
    expect(JSON.parse(writes[0])).toEqual({ id: 1, argv: ['echo', 'hi'], timeout: 5 });
    client.data('{"id": 1, "exit": 0, "stdout": "h');
    client.data('i\\n", "stderr": "", "timedOut": false}\n');
    expect(await p).toEqual({ exit: 0, stdout: 'hi\n', stderr: '', timedOut: false });
  });
});
