/**
 * NetworkPolicy: every pod x pod x port x protocol cell as the API spec says; the trace follows a denied
 * connection up to the node whose policy chain drops it.
 * How it is verified: probes.ts (pod rows) and outside.ts (the outside client's row); how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { networkPolicyWithOutside } from './outside';
import { networkPolicyTrace } from './trace';

export const networkPolicyPath = guidePath(networkPolicyWithOutside, networkPolicyTrace);
