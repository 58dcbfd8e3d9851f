/**
 * From the Internet through the ingress (an L7 proxy, a second connection) to the Service's pods.
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { ingressToService } from './probes';
import { ingressToServiceTrace } from './trace';

export const ingressToServicePath = guidePath(ingressToService, ingressToServiceTrace);
