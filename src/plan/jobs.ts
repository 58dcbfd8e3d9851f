/** Background jobs in a rendered node script. Pure. */

/**
 * Runs each group of lines as a background subshell, at most `width` at a time (a wave waits for
 * all of its jobs), the way a kubelet sets up several pod sandboxes at once. Every job runs with
 * the script's `set -eu`; the script fails after the last wave if any job failed, naming how many
 * (each job's own error is on stderr already). Groups without lines are dropped.
 */
export function renderJobs(groups: string[][], width: number, what: string): string[] {
  const jobs = groups.filter((g) => g.length > 0);
  if (jobs.length === 0) return [];
  // One at a time: the lines as they are, in order (the script's set -e stops at the first failure).
  if (jobs.length === 1 || width <= 1) return jobs.flat();
  const lines = [`# ${what}: ${jobs.length} jobs, ${width} at a time`, '_jobs_failed=0; _jobs_pids='];
  const drain = 'for _p in $_jobs_pids; do wait "$_p" || _jobs_failed=$((_jobs_failed + 1)); done; _jobs_pids=';
  jobs.forEach((job, i) => {
    // The closing parenthesis on a line of its own: a job may end in a here-document.
    lines.push('(', ...job, ') &', '_jobs_pids="$_jobs_pids $!"');
    if ((i + 1) % width === 0 && i + 1 < jobs.length) lines.push(drain);
  });
  lines.push(
    drain,
    `if [ "$_jobs_failed" -gt 0 ]; then echo "${what}: $_jobs_failed of ${jobs.length} jobs failed" >&2; exit 1; fi`,
  );
  return lines;
}
