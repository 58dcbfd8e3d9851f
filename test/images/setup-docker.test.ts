/** scripts/setup-docker.sh: the stale-pid path on fake pid files, and the no-op when an engine answers. */
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const SCRIPT = path.resolve(__dirname, '../../scripts/setup-docker.sh');

test('is valid bash', () => {
  execFileSync('bash', ['-n', SCRIPT]);
});

test('removes a pid file whose process is gone and keeps one whose process runs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'setup-docker-'));
  try {
    const stale = path.join(dir, 'docker.pid');
    const live = path.join(dir, 'containerd.pid');
    // A pid above pid_max can never be running.
    writeFileSync(stale, '4194305\n');
    writeFileSync(live, `${process.pid}\n`);
    const out = execFileSync('bash', [SCRIPT, '--clear-stale-pidfiles'], {
      env: { ...process.env, DOCKER_PIDFILE: stale, CONTAINERD_PIDFILE: live },
    }).toString();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(out).toMatch(/removing stale pid file/);
    expect(out).toMatch(/is running, kept/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const engineUp = spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
const debootstrapThere = existsSync('/usr/sbin/debootstrap');

(engineUp && debootstrapThere ? test : test.skip)('does nothing but say so when an engine answers', () => {
  const r = spawnSync('bash', [SCRIPT], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/Docker engine answers .*nothing to do/);
  expect(r.stdout).not.toMatch(/starting dockerd|installing/);
});
