/**
 * Pod to pod, on one node (veth, cbr0, veth: switched) and across nodes (eth0, the VPC router or the
 * overlay, the other node: routed, no NAT). One folder: both share the pod pairs and the probe code.
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { podToPodSameNode, podToPodCrossNode } from './probes';
import { podToPodSameNodeTrace, podToPodCrossNodeTrace } from './trace';

export const podToPodSameNodePath = guidePath(podToPodSameNode, podToPodSameNodeTrace);
export const podToPodCrossNodePath = guidePath(podToPodCrossNode, podToPodCrossNodeTrace);
