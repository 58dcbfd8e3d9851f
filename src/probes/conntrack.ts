/** The conntrack parser moved to src/observe/conntrack.ts; re-exported for existing imports. */
export { parseConntrack } from '../observe/conntrack';
