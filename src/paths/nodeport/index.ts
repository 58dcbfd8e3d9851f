/**
 * A NodePort answers on every node's address, including a node without a backend (forwarded, masqueraded).
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { nodePort } from './probes';
import { nodePortTrace } from './trace';

export const nodePortPath = guidePath(nodePort, nodePortTrace);
