/**
 * A pod reaches a Service's ClusterIP: kube-proxy on the caller's node DNATs it to one backend pod.
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { podToService } from './probes';
import { podToServiceTrace } from './trace';

export const podToServicePath = guidePath(podToService, podToServiceTrace);
