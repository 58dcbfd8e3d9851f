/** The loop's Kubernetes timings, time-scaled, in one line: `lab watch` prints it when it starts. */
import { NODE_MONITOR_GRACE_PERIOD_MS } from '../node-lifecycle';
import { NOT_READY_TOLERATION_MS } from '../eviction';
import { DEFAULT_READINESS_FAILURE_THRESHOLD, DEFAULT_READINESS_PERIOD_MS } from '../implied-readiness';
import { NODE_LEASE_RENEW_INTERVAL_MS, NODE_MONITOR_PERIOD_MS } from './heartbeats';

const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function watchClocks(scale: number, eviction: boolean): string {
  return [
    `clocks (time-scale ${scale}): node lease renewed every ${s(NODE_LEASE_RENEW_INTERVAL_MS * scale)}`,
    `checked every ${s(NODE_MONITOR_PERIOD_MS * scale)}`,
    `NotReady ${s(NODE_MONITOR_GRACE_PERIOD_MS * scale)} after the last renewal (node-monitor-grace-period)`,
    `readiness without a probe: checked every ${s(DEFAULT_READINESS_PERIOD_MS * scale)}, not ready after ${DEFAULT_READINESS_FAILURE_THRESHOLD} failed checks in a row`,
    eviction
      ? `eviction on: pods of a node NotReady for ${s(NOT_READY_TOLERATION_MS * scale)} are evicted (not-ready toleration; --no-eviction turns it off)`
      : 'eviction off (--no-eviction): pods of a NotReady node stay bound to it',
  ].join('; ');
}
