/**
 * A node's root namespace reaches every pod, and the pod sees the node's own address (no NAT).
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { nodeToPod } from './probes';
import { nodeToPodTrace } from './trace';

export const nodeToPodPath = guidePath(nodeToPod, nodeToPodTrace);
