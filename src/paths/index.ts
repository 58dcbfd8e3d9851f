/** Every path `lab verify` knows, in the order the guide tells them. Later issues append theirs. */
import { containerToContainer } from './container-to-container/probes';
import { nodeToPod } from './node-to-pod/probes';
import { podIpIdentity } from './pod-ip-identity/probes';
import { podToPodCrossNode, podToPodSameNode } from './pod-to-pod/probes';
import { podMtuPath } from './pod-mtu/probes';
import { podToService } from './pod-to-service/probes';
import { serviceToPod } from './service-to-pod/probes';
import { nodePort } from './nodeport/probes';
import { localhostNodePort } from './localhost-nodeport/probes';
import { ingressToService } from './ingress-to-service/probes';
import { dnsPath } from './dns/probes';
import { podToInternet } from './pod-to-internet/probes';
import { loadBalancerToService, outsideToNodePort } from './loadbalancer/probes';
import { networkPolicy } from './network-policy/probes';
import { PathDef } from './common/types';

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
