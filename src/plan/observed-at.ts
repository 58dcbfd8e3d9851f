/**
 * When a node's observation script had probed its pods, by the node's clock (the host's: a
 * container shares the kernel's realtime clock): the last line of the script. A failure counts
 * from here rather than from when the engine handed the output back, which under load is seconds
 * later (exec teardown, the other nodes, the engine's calls for container pods).
 */
const MARK = 'observed-at';

export function renderObservedAt(): string {
  return `echo ${MARK} $(date +%s%3N)`;
}

/** The time printed by renderObservedAt, in ms since the epoch; undefined when absent or unreadable. */
export function parseObservedAt(out: string): number | undefined {
  const m = new RegExp(`^${MARK} (\\d{13})$`, 'm').exec(out);
  return m ? Number(m[1]) : undefined;
}
