/**
 * Readiness as the probes observe it: each pod's /healthz, asked from a node, all pods at once.
 *
 * Asked one after another with `-m 1`, a loaded machine let a slow answer count as "not ready"
 * (N's 1,000-pod run: 39 spread checks then saw those backends answer through the VIP). Now every
 * pod is asked in parallel, and a request that timed out (curl exit 28: no answer yet, which says
 * nothing about readiness) is asked once more and reported as retried. A refusal (7), an HTTP error
 * such as 503 (22) or a second time-out stays "not ready": nothing here turns a refusal into a pass.
 */
import { q } from '../../plan/shell';

export interface ReadinessTarget {
  ip: string;
  port: number;
}

/** Seconds one /healthz request may take (the kubelet's default probe timeout is 1 s; this is the observer's). */
export const READINESS_TIMEOUT_SEC = 2;

/**
 * Node-side script. Lines: `<ip>` for a pod that answered 2xx, `- <ip> <curl exit>` for one that did
 * not, `~ <ip>` when its first request timed out and it was asked again. Ends with `wait`.
 */
export function renderReadinessScript(targets: ReadinessTarget[], timeoutSec = READINESS_TIMEOUT_SEC): string {
  if (!targets.length) return 'true';
  const one = (t: ReadinessTarget) => {
    const c = `curl -fs -m ${timeoutSec} -o /dev/null ${q(`http://${t.ip}:${t.port}/healthz`)}`;
    return (
      `( ${c}; x=$?; if [ $x -eq 28 ]; then echo ${q(`~ ${t.ip}`)}; ${c}; x=$?; fi; ` +
      `if [ $x -eq 0 ]; then echo ${q(t.ip)}; else echo "- ${t.ip} $x"; fi ) &`
    );
  };
  // At most READINESS_PARALLEL requests at once, so a Service of hundreds of pods does not fork hundreds of curls.
  const groups: string[] = [];
  for (let i = 0; i < targets.length; i += READINESS_PARALLEL)
    groups.push(
      targets
        .slice(i, i + READINESS_PARALLEL)
        .map(one)
        .join('\n'),
    );
  return groups.join('\nwait\n') + '\nwait; true';
}

/** Requests in flight at once (a Deployment of 20 replicas is asked in one round). */
export const READINESS_PARALLEL = 32;

export interface Readiness {
  ready: Set<string>;
  /** Pods that did not answer 2xx, with curl's exit code. */
  notReady: Map<string, number>;
  /** Pods whose first request timed out and were asked again (whatever the second said). */
  retried: string[];
}

export function parseReadiness(out: string): Readiness {
  const res: Readiness = { ready: new Set(), notReady: new Map(), retried: [] };
  for (const raw of out.split('\n')) {
    const f = raw.trim().split(/\s+/);
    if (!f[0]) continue;
    if (f[0] === '~') res.retried.push(f[1]);
    else if (f[0] === '-') res.notReady.set(f[1], Number(f[2]));
    else res.ready.add(f[0]);
  }
  return res;
}
