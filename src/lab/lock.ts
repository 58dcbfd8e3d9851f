/**
 * One `lab up` per lab name at a time, on this machine. The lock is flock(2) on a file, held by a
 * child `flock` process (util-linux) whose stdin is a pipe from this process: the kernel releases
 * the lock when that child exits, and the child exits when this process does, however it ends
 * (crash, SIGKILL), because its stdin then reaches EOF. So the lock can never be left stale.
 */
import { spawn, ChildProcess } from 'child_process';
import { chmodSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { LabError } from '../errors';

/** Shared by every user of this machine (sticky and world-writable, like /tmp). */
export function lockDir(): string {
  return process.env.K8S_NETLAB_LOCK_DIR ?? path.join(tmpdir(), 'k8s-netlab-locks');
}

export function lockPath(lab: string): string {
  return path.join(lockDir(), `${lab}.lock`);
}

const BUSY = 75;

export interface LabLock {
  path: string;
  release(): void;
}

/** Takes the lab's lock or throws a LabError saying another `lab up` of this name is in progress. */
export async function lockLab(lab: string): Promise<LabLock> {
  const dir = lockDir();
  mkdirSync(dir, { recursive: true });
  try {
    chmodSync(dir, 0o1777);
  } catch {
    // another user's directory: it already has the mode
  }
  const file = lockPath(lab);
  // flock opens the file read-only (creating it 0666 minus umask), so any user can lock it.
  const child: ChildProcess = spawn(
    'flock',
    ['--nonblock', '--conflict-exit-code', String(BUSY), file, 'sh', '-c', 'echo locked; exec cat > /dev/null'],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const outcome = await new Promise<'locked' | number | Error>((resolve) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('locked')) resolve('locked');
    });
    child.on('error', (e) => resolve(e));
    child.on('exit', (code) => resolve(code ?? 1));
  });
  if (outcome === 'locked') {
    // The child must not keep this process alive; it dies with it.
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    return {
      path: file,
      release: () => {
        child.stdin?.end();
        child.kill();
      },
    };
  }
  if (outcome === BUSY) {
    throw new LabError(`another \`lab up\` of lab ${lab} is in progress (it holds ${file})`, {
      hint: 'wait for it to finish, or pick another name with --name',
    });
  }
  const why = outcome instanceof Error ? outcome.message : `flock exited ${outcome}`;
  throw new LabError(`could not take the lock ${file} for lab ${lab}: ${why}`, {
    hint: 'install util-linux (flock), or set K8S_NETLAB_LOCK_DIR to a writable directory',
    cause: outcome instanceof Error ? outcome : undefined,
  });
}
