/**
 * Ctrl-C (and SIGTERM/SIGHUP) while captures run: the first signal runs the cleanup (stop every
 * tcpdump cleanly, let the pcaps complete), the second exits at once; the containers' own
 * watchdog still stops tcpdump when the CLI's connection to the engine drops.
 */
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface SignalGuard {
  /** The signal that arrived, if one did. */
  readonly received: NodeJS.Signals | undefined;
  /** Resolves when a signal arrives (never rejects). */
  readonly arrived: Promise<NodeJS.Signals>;
  dispose(): void;
}

export function guardSignals(onFirst: (sig: NodeJS.Signals) => void): SignalGuard {
  let received: NodeJS.Signals | undefined;
  let resolveArrived: (s: NodeJS.Signals) => void = () => undefined;
  const arrived = new Promise<NodeJS.Signals>((r) => (resolveArrived = r));
  const handler = (sig: NodeJS.Signals) => {
    if (received) {
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    received = sig;
    process.stderr.write(`\n${sig}: stopping captures (again to quit at once)\n`);
    onFirst(sig);
    resolveArrived(sig);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    get received() {
      return received;
    },
    arrived,
    dispose: () => {
      for (const s of SIGNALS) process.removeListener(s, handler);
    },
  };
}

/** The exit code a shell gives a command ended by this signal. */
export function signalExitCode(sig: NodeJS.Signals): number {
  return sig === 'SIGINT' ? 130 : sig === 'SIGHUP' ? 129 : 143;
}
