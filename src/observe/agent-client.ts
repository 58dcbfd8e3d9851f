/**
 * The client side of the probe agent (images/probes/agent.py): requests go out as JSON lines,
 * answers come back in any order and are matched by id. Pure: the transport (an exec's stdin and
 * stdout, or a local process in tests) is handed in.
 */

export interface AgentTransport {
  write(text: string): void;
  /** Closes the agent's stdin: it answers what is running and exits. */
  close(): void;
}

export interface AgentAnswer {
  exit: number;
  stdout: string;
  stderr: string;
  /** The agent killed the command after its timeout. */
  timedOut: boolean;
}

interface Pending {
  resolve: (a: AgentAnswer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** How long past a command's own timeout the client waits for the agent to answer before giving up on it. */
export const AGENT_GRACE_MS = 5_000;

export class AgentClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buf = '';
  private gone?: string;
  private onReady!: () => void;
  private onNotReady!: (e: Error) => void;
  /** Resolves when the agent said it reads requests; rejects when it ended before. */
  readonly ready: Promise<void>;

  constructor(
    private readonly transport: AgentTransport,
    private readonly what: string,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.onReady = resolve;
      this.onNotReady = reject;
    });
    // Nobody may be waiting on ready when the agent dies later: that is reported per request.
    this.ready.catch(() => undefined);
  }

  /** Output of the agent, in chunks as they arrive. */
  data(chunk: string): void {
    this.buf += chunk;
    const lines = this.buf.split('\n');
    this.buf = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) this.line(l);
  }

  private line(l: string): void {
    let msg: { id?: number; ready?: boolean; error?: string } & Partial<AgentAnswer>;
    try {
      msg = JSON.parse(l);
    } catch {
      return this.ended(`the agent in ${this.what} printed a line that is not JSON: ${l.slice(0, 200)}`);
    }
    if (msg.ready) return this.onReady();
    const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
    if (!p) return;
    this.pending.delete(msg.id!);
    clearTimeout(p.timer);
    p.resolve({ exit: msg.exit ?? -1, stdout: msg.stdout ?? '', stderr: msg.stderr ?? '', timedOut: !!msg.timedOut });
  }

  /** The agent is gone: every request still waiting fails, naming why. */
  ended(why: string): void {
    if (this.gone) return;
    this.gone = why;
    this.onNotReady(new Error(why));
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
      this.pending.delete(id);
    }
  }

  /** Runs argv in the agent's container; the agent kills it after timeoutSec. */
  request(argv: string[], timeoutSec: number): Promise<AgentAnswer> {
    if (this.gone) return Promise.reject(new Error(this.gone));
    const id = this.nextId++;
    return new Promise<AgentAnswer>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(id);
          reject(new Error(`the agent in ${this.what} did not answer within ${timeoutSec} s: ${argv.join(' ')}`));
        },
        timeoutSec * 1000 + AGENT_GRACE_MS,
      );
      this.pending.set(id, { resolve, reject, timer });
      this.transport.write(JSON.stringify({ id, argv, timeout: timeoutSec }) + '\n');
    });
  }

  close(): void {
    if (!this.gone) this.transport.close();
  }
}
