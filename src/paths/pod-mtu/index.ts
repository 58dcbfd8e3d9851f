/**
 * A do-not-fragment packet of the full pod MTU crosses nodes; one byte more is refused.
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { podMtuPath } from './probes';
import { podMtuTrace } from './trace';

export const podMtuGuidePath = guidePath(podMtuPath, podMtuTrace);
