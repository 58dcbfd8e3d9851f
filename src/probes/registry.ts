/** Every path `lab verify` knows, in the order the guide tells them. Later issues append theirs. */
import { containerToContainer } from './container-to-container';
import { nodeToPod } from './node-to-pod';
import { podIpIdentity } from './pod-ip-identity';
import { podToPodCrossNode, podToPodSameNode } from './pod-to-pod';
import { podToService } from './pod-to-service';
import { serviceToPod } from './service-to-pod';
import { nodePort } from './nodeport';
import { PathDef } from './types';

export const PATHS: PathDef[] = [
  containerToContainer,
  podToPodSameNode,
  podToPodCrossNode,
  nodeToPod,
  podIpIdentity,
  podToService,
  serviceToPod,
  nodePort,
];

export function pathIds(): string[] {
  return PATHS.map((p) => p.id);
}
