/**
 * Pods resolve names through the kube-dns Service VIP, answered as the DNS specification requires.
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { dnsPath } from './probes';
import { dnsTrace } from './trace';

export const dnsGuidePath = guidePath(dnsPath, dnsTrace);
