/** Neighbour (ARP) cache flushes, rendered as shell. Pure. */
import { q } from './shell';

/**
 * Forgets the link-layer addresses cached for these pod IPs, in a node and in every pod
 * namespace on it. A pod created on an address another pod held seconds ago has a new MAC,
 * and a neighbour entry still REACHABLE with the old one would swallow its traffic for up to
 * base_reachable_time (about 30 s).
 */
export function renderNeighFlush(ips: string[]): string {
  const lines = ['for ns in $(ip netns list 2>/dev/null | cut -d" " -f1); do'];
  for (const ip of ips) lines.push(`  ip -n "$ns" neigh flush to ${q(ip)} 2>/dev/null || true`);
  lines.push('done');
  for (const ip of ips) lines.push(`ip neigh flush to ${q(ip)} 2>/dev/null || true`);
  return lines.join('\n') + '\n';
}
