/**
 * From the Internet to a node's public address and NodePort, and to a LoadBalancer IP (the load
 * balancer DNATs to a node's NodePort, kube-proxy to a pod). One folder: both share the Service ports and sweeps.
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { outsideToNodePort, loadBalancerToService } from './probes';
import { outsideToNodePortTrace, loadBalancerToServiceTrace } from './trace';

export const outsideToNodePortPath = guidePath(outsideToNodePort, outsideToNodePortTrace);
export const loadBalancerToServicePath = guidePath(loadBalancerToService, loadBalancerToServiceTrace);
