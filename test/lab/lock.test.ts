import { spawn } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { lockLab } from '../../src/lab/lock';

describe('the lab up lock (flock, never stale)', () => {
  beforeAll(() => {
    process.env.K8S_NETLAB_LOCK_DIR = mkdtempSync(join(tmpdir(), 'locks-'));
  });
  it('a second up of the same name is told to wait or pick another name, never to run lab down', async () => {
    const a = await lockLab('x');
    const err = await lockLab('x').catch((e: Error & { hint?: string }) => e);
    expect((err as Error).message).toMatch(/another `lab up` of lab x is in progress/);
    expect((err as { hint?: string }).hint).toBe('wait for it to finish, or pick another name with --name');
    expect(`${(err as Error).message} ${(err as { hint?: string }).hint}`).not.toMatch(/lab down/);
    // another name is free
    const b = await lockLab('y');
    b.release();
    a.release();
    await new Promise((r) => setTimeout(r, 200));
    (await lockLab('x')).release();
  });
  // The holder runs the compiled module (npm test builds dist first, pretest).
  it('is released when the holder is killed (SIGKILL): no stale lock', async () => {
    const holder = spawn(
      process.execPath,
      [
        '-e',
        "require('./dist/lab/lock').lockLab('k').then(() => { console.log('held'); setInterval(() => {}, 1000); })",
      ],
      {
        cwd: join(__dirname, '..', '..'),
        env: process.env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve) =>
      holder.stdout!.on('data', (b: Buffer) => b.toString().includes('held') && resolve()),
    );
    await expect(lockLab('k')).rejects.toThrow(/in progress/);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.on('exit', r));
    let lock;
    for (let i = 0; i < 50 && !lock; i++) {
      lock = await lockLab('k').catch(() => undefined);
      if (!lock) await new Promise((r) => setTimeout(r, 100));
    }
    expect(lock).toBeDefined();
    lock!.release();
  }, 30_000);
});
