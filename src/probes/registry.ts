/** Every path `lab verify` knows, in the order the guide tells them. Later issues append theirs. */
import { containerToContainer } from './container-to-container';
import { nodeToPod } from './node-to-pod';
import { podIpIdentity } from './pod-ip-identity';
import { podToPodCrossNode, podToPodSameNode } from './pod-to-pod';
import { podMtuPath } from './pod-mtu';
import { podToService } from './pod-to-service';
import { serviceToPod } from './service-to-pod';
import { nodePort } from './nodeport';
import { localhostNodePort } from './localhost-nodeport';
import { ingressToService } from './ingress';
import { dnsPath } from './dns';
import { podToInternet } from './pod-to-internet';
import { loadBalancerToService, outsideToNodePort } from './loadbalancer';
import { networkPolicyPath as networkPolicy } from './network-policy-outside';
import { PathDef } from './types';

export const PATHS: PathDef[] = [
  containerToContainer,
  podToPodSameNode,
  podToPodCrossNode,
  podMtuPath,
  nodeToPod,
  podIpIdentity,
  podToService,
  serviceToPod,
  nodePort,
  localhostNodePort,
  ingressToService,
  dnsPath,
  podToInternet,
  outsideToNodePort,
  loadBalancerToService,
  networkPolicy,
];

export function pathIds(): string[] {
  return PATHS.map((p) => p.id);
}
