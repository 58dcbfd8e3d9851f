/**
 * Containers of one pod share its network namespace and talk over localhost (the pod's lo).
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { containerToContainer } from './probes';
import { containerToContainerTrace } from './trace';

export const containerToContainerPath = guidePath(containerToContainer, containerToContainerTrace);
