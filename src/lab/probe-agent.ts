/**
 * The ProbeRunner `lab verify` uses: one probe agent (images/probes/agent.py) per lab container,
 * started by one exec on first use and fed every command the probes run there. A docker exec
 * costs tens of milliseconds of engine work and a verify makes hundreds; through the agent a
 * command costs a fork in the container. What a command observes is the same: it runs in the
 * same container, namespaces and environment, and its exit code, stdout and stderr come back.
 * A container the agent cannot start in (no python3, stopped) gets plain execs, which fail as
 * they always did.
 */
import { DEFAULT_EXEC_TIMEOUT_MS, exec } from '../runtime/exec';
import { execSession, ExecSession } from '../runtime/exec-session';
import { ExecTimeoutError } from '../errors';
import { programSource } from '../images/programs';
import { AgentClient } from '../observe/agent-client';
import { targetArgv, Target } from '../plan/targets';
import type { ExecResult } from '../model/exec';
import type { ProbeRunner } from '../paths/common/types';

/** How long an agent may take to say it is ready before its container falls back to plain execs. */
const READY_TIMEOUT_MS = 15_000;

/** Commands one agent runs at once; more wait in the agent (a sweep is one command, so this is plenty). */
export const AGENT_MAX_RUNNING = 48;

function timeoutMs(): number {
  const env = Number(process.env.K8S_NETLAB_EXEC_TIMEOUT_MS);
  return env > 0 ? env : DEFAULT_EXEC_TIMEOUT_MS;
}

interface Agent {
  client: AgentClient;
  session: ExecSession;
}

export interface AgentRunner extends ProbeRunner {
  /** Containers whose agent did not start, and why (they got plain execs). */
  fallbacks: Map<string, string>;
  /** Stops every agent (each answers what is running, then exits). */
  close(): Promise<void>;
}

async function startAgent(container: string): Promise<Agent> {
  let errText = '';
  // The client exists before the session so that no output is missed; it writes once the session is there.
  const link: { session?: ExecSession } = {};
  const c = new AgentClient(
    { write: (t) => link.session?.write(t), close: () => link.session?.closeStdin() },
    container,
  );
  const session = await execSession(
    container,
    ['python3', '-c', programSource('probeAgent'), String(AGENT_MAX_RUNNING)],
    (s) => c.data(s),
    (s) => (errText = (errText + s).slice(-2000)),
  );
  link.session = session;
  void session.ended.then(() =>
    c.ended(`the probe agent in ${container} ended${errText.trim() ? `: ${errText.trim()}` : ''}`),
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      c.ready,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready after ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    session.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { client: c, session };
}

export function agentRunner(): AgentRunner {
  const agents = new Map<string, Promise<Agent | undefined>>();
  const fallbacks = new Map<string, string>();
  const agentFor = (container: string): Promise<Agent | undefined> => {
    let a = agents.get(container);
    if (!a) {
      a = startAgent(container).catch((err: Error) => {
        fallbacks.set(container, err.message);
        return undefined;
      });
      agents.set(container, a);
    }
    return a;
  };
  const run = async (t: Target, argv: string[]): Promise<ExecResult> => {
    const full = targetArgv(t, argv);
    const agent = await agentFor(t.container);
    if (!agent) return exec(t.container, full);
    const ms = timeoutMs();
    const t0 = Date.now();
    const a = await agent.client.request(full, ms / 1000);
    // K8S_NETLAB_DEBUG_EXEC=1: every command with its duration, as exec.ts prints its execs.
    if (process.env.K8S_NETLAB_DEBUG_EXEC)
      process.stderr.write(
        `agent ${Date.now() - t0}ms ${t.container} exit=${a.exit}: ${full.join(' ').slice(0, 160)}\n`,
      );
    if (a.timedOut) throw new ExecTimeoutError({ container: t.container, argv: full, timeoutMs: ms });
    return {
      container: t.container,
      command: full.join(' '),
      exitCode: a.exit,
      stdout: a.stdout,
      stderr: a.stderr,
      failed: a.exit !== 0,
    };
  };
  return {
    fallbacks,
    run,
    sh: (t, script) => run(t, ['sh', '-c', script]),
    async close() {
      const started = (await Promise.all(agents.values())).filter((a): a is Agent => !!a);
      for (const a of started) a.client.close();
      await Promise.all(
        started.map((a) =>
          Promise.race([a.session.ended, new Promise((ok) => setTimeout(ok, 2_000).unref())]).then(() =>
            a.session.destroy(),
          ),
        ),
      );
    },
  };
}
