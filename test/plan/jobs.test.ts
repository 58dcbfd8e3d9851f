import { spawnSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { renderJobs } from '../../src/plan/jobs';
import { heredoc } from '../../src/plan/shell';

const sh = (lines: string[]) => spawnSync('sh', ['-c', ['set -eu', ...lines].join('\n')], { encoding: 'utf8' });

describe('renderJobs: background jobs in a node script', () => {
  it('runs every job (here-documents included), width at a time, and goes on when all succeeded', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jobs-'));
    const jobs = Array.from({ length: 7 }, (_, i) => heredoc(`cat > ${dir}/f${i}`, `job ${i}\n`));
    const lines = renderJobs(jobs, 3, 'files');
    // Waves of 3: a drain after the 3rd and the 6th job, and one at the end.
    expect(lines.filter((l) => l.startsWith('for _p in')).length).toBe(3);
    const r = sh([...lines, 'echo after']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('after');
    expect(readdirSync(dir).sort()).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6']);
    expect(readFileSync(`${dir}/f4`, 'utf8')).toBe('job 4\n');
  });
  it('fails after the last wave when any job failed (set -e inside the job), saying how many', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jobs-'));
    const jobs = [0, 1, 2, 3].map((i) =>
      i === 1 || i === 3 ? ['false', `touch ${dir}/never${i}`] : [`touch ${dir}/ok${i}`],
    );
    const r = sh([...renderJobs(jobs, 2, 'pod containers'), 'echo not reached']);
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toMatch(/not reached/);
    expect(r.stderr).toMatch(/pod containers: 2 of 4 jobs failed/);
    expect(readdirSync(dir).sort()).toEqual(['ok0', 'ok2']);
  });
  it('one job, or width 1, runs inline in order; none renders nothing', () => {
    expect(renderJobs([['echo a']], 8, 'x')).toEqual(['echo a']);
    expect(renderJobs([['echo a'], ['echo b']], 1, 'x')).toEqual(['echo a', 'echo b']);
    expect(renderJobs([[], []], 8, 'x')).toEqual([]);
  });
});
