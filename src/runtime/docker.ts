/** One dockerode client for the process; only src/runtime/ imports dockerode. */
import Docker from 'dockerode';
import { EngineError } from '../errors';

let client: Docker | undefined;

/** The engine client; honours DOCKER_HOST (dockerode reads it) and falls back to the local socket. */
export function docker(): Docker {
  if (!client) client = new Docker();
  return client;
}

/** Fails with a clear message, and how to fix it, when no engine answers. */
export async function pingEngine(): Promise<void> {
  try {
    await docker().ping();
  } catch (err) {
    const where = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
    // The engine runs, but this user may not open its socket.
    if ((err as NodeJS.ErrnoException).code === 'EACCES')
      throw new EngineError(`permission denied on the Docker socket ${where}`, {
        hint: 'add this user to the docker group (as root: usermod -aG docker <user>; then log in again), or run lab as root',
        cause: err,
      });
    throw new EngineError(`no Docker engine answers at ${where}`, {
      hint: 'start one (on Debian/Ubuntu as root: ./scripts/setup-docker.sh), or point DOCKER_HOST at a running engine',
      cause: err,
    });
  }
}
