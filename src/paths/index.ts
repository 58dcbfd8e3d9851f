/**
 * Every path of the guide, in the guide's order: how `lab verify` proves it and how `lab trace`
 * follows it. verify and its coverage, trace, the UI, the verify table and the CLI read this
 * list. A new path is a folder beside these and one line here (see src/paths/README.md).
 */
import { LabModel } from '../model/types';
import { InputError } from '../errors';
import { newMarker, TracePlan } from './common/trace';
import { GuidePath } from './common/types';
import { containerToContainerPath } from './container-to-container';
import { podToPodCrossNodePath, podToPodSameNodePath } from './pod-to-pod';
import { podMtuGuidePath } from './pod-mtu';
import { nodeToPodPath } from './node-to-pod';
import { podIpIdentityPath } from './pod-ip-identity';
import { podToServicePath } from './pod-to-service';
import { serviceToPodPath } from './service-to-pod';
import { nodePortPath } from './nodeport';
import { localhostNodePortPath } from './localhost-nodeport';
import { ingressToServicePath } from './ingress-to-service';
import { dnsGuidePath } from './dns';
import { podToInternetPath } from './pod-to-internet';
import { loadBalancerToServicePath, outsideToNodePortPath } from './loadbalancer';
import { networkPolicyPath } from './network-policy';

export const PATHS: GuidePath[] = [
  containerToContainerPath,
  podToPodSameNodePath,
  podToPodCrossNodePath,
  podMtuGuidePath,
  nodeToPodPath,
  podIpIdentityPath,
  podToServicePath,
  serviceToPodPath,
  nodePortPath,
  localhostNodePortPath,
  ingressToServicePath,
  dnsGuidePath,
  podToInternetPath,
  outsideToNodePortPath,
  loadBalancerToServicePath,
  networkPolicyPath,
];

export function pathIds(): string[] {
  return PATHS.map((p) => p.id);
}

/** The trace plan of one path; unknown IDs are input errors listing the known ones. */
export function tracePlan(model: LabModel, id: string, marker: string = newMarker()): TracePlan {
  const def = PATHS.find((p) => p.id === id);
  if (!def)
    throw new InputError(`unknown path "${id}"`, { field: 'path', hint: `trace one of: ${pathIds().join(', ')}` });
  return def.trace.plan(model, marker);
}
