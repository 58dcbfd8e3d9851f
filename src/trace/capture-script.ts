/**
 * The command each capture runs in its container: tcpdump under `timeout` (a safety net if
 * everything else fails) behind a tiny shell that stops it when the exec's stdin closes. Closing
 * stdin is how `lab capture` stops a capture, and the engine closes it too when the CLI dies, so
 * no tcpdump outlives the command that started it. tcpdump gets SIGTERM and exits by itself,
 * flushing the pcap file (never SIGKILL unless it ignores SIGTERM for KILL_AFTER seconds).
 */

/** Printed on stderr first: the pid that gets SIGTERM (timeout's, which forwards it to tcpdump). */
export const PID_LINE_PREFIX = 'k8s-netlab-capture pid=';
/** Seconds `timeout` waits after its SIGTERM before SIGKILL. */
export const KILL_AFTER = 3;

const SCRIPT = [
  `echo "${PID_LINE_PREFIX}$$" >&2`,
  // Background lists get /dev/null as stdin unless redirected explicitly: keep the exec's stdin on fd 3.
  'exec 3<&0',
  // $$ is this shell's pid, which `exec` below hands to timeout.
  '( read -r _ <&3; kill -TERM $$ ) >/dev/null 2>&1 &',
  'exec 3<&-',
  'safety=$1; shift',
  `exec timeout -s TERM -k ${KILL_AFTER} "$safety" "$@"`,
].join('\n');

/**
 * argv for the container: `sh -c SCRIPT k8s-netlab-capture SAFETY tcpdump ...`. SAFETY is a
 * whole number of seconds after which `timeout` stops tcpdump whatever happens.
 */
export function captureArgv(tcpdump: string[], safetySeconds: number): string[] {
  if (!Number.isInteger(safetySeconds) || safetySeconds < 1)
    throw new Error(`safety timeout must be a positive whole number of seconds, got ${safetySeconds}`);
  return ['sh', '-c', SCRIPT, 'k8s-netlab-capture', `${safetySeconds}s`, ...tcpdump];
}

/** The pid from the wrapper's first stderr line, if this is it. */
export function parsePidLine(line: string): number | undefined {
  if (!line.startsWith(PID_LINE_PREFIX)) return undefined;
  const n = Number(line.slice(PID_LINE_PREFIX.length).trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** tcpdump's "listening on IFACE, link-type ..." line: the capture is armed. */
export function isListeningLine(line: string): boolean {
  return /\blistening on \S+/.test(line);
}

/** tcpdump's closing statistics ("N packets captured", "M packets dropped by kernel"). */
export interface TcpdumpStats {
  captured?: number;
  receivedByFilter?: number;
  droppedByKernel?: number;
}

export function parseTcpdumpStats(stderr: string): TcpdumpStats {
  const num = (re: RegExp) => {
    const m = re.exec(stderr);
    return m ? Number(m[1]) : undefined;
  };
  return {
    captured: num(/(\d+) packets? captured/),
    receivedByFilter: num(/(\d+) packets? received by filter/),
    droppedByKernel: num(/(\d+) packets? dropped by kernel/),
  };
}

/** A tcpdump error worth showing (no such device, bad filter), from its stderr. */
export function tcpdumpError(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find(
    (l) =>
      /^tcpdump: (?!listening on|verbose output)/.test(l) ||
      /syntax error|No such device|doesn't exist|Cannot open|Operation not permitted/i.test(l),
  );
}
