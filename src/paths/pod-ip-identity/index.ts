/**
 * The address on a pod's eth0 is the source address others see: no NAT between pods.
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { podIpIdentity } from './probes';
import { podIpIdentityTrace } from './trace';

export const podIpIdentityPath = guidePath(podIpIdentity, podIpIdentityTrace);
