/**
 * The backend's reply reaches the caller with the VIP as source (conntrack un-DNAT on the caller's node).
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { serviceToPod } from './probes';
import { serviceToPodTrace } from './trace';

export const serviceToPodPath = guidePath(serviceToPod, serviceToPodTrace);
