/**
 * A pod reaches the Internet as its node's public address: node masquerade, then the gateway's NAT.
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { podToInternet } from './probes';
import { podToInternetTrace } from './trace';

export const podToInternetPath = guidePath(podToInternet, podToInternetTrace);
