/** The conntrack parser moved to src/observe/conntrack.ts; re-exported for existing imports. */
export { conntrackListArgv, parseConntrack } from '../../observe/conntrack';
export type { ConntrackEntry, Tuple } from '../../observe/conntrack';
