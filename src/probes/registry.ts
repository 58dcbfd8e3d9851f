/** Every path `lab verify` knows, in the order the guide tells them. Later issues append theirs. */
import { containerToContainer } from './container-to-container';
import { nodeToPod } from './node-to-pod';
import { podIpIdentity } from './pod-ip-identity';
import { podToPodCrossNode, podToPodSameNode } from './pod-to-pod';
import { PathDef } from './types';

export const PATHS: PathDef[] = [containerToContainer, podToPodSameNode, podToPodCrossNode, nodeToPod, podIpIdentity];

export function pathIds(): string[] {
  return PATHS.map((p) => p.id);
}
