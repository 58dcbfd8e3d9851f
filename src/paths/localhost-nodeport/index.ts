/**
 * 127.0.0.1:<nodePort> on a node: forwarded in iptables mode (route_localnet), refused in nftables mode.
 * How it is verified: probes.ts; how it is traced: trace.ts.
 */
import { guidePath } from '../common/types';
import { localhostNodePort } from './probes';
import { localhostNodePortTrace } from './trace';

export const localhostNodePortPath = guidePath(localhostNodePort, localhostNodePortTrace);
