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
    throw engineUnreachable(err);
  }
}

/** The engine's version and API version (`lab doctor`). */
export async function engineVersion(): Promise<{ version: string; apiVersion: string }> {
  const v = await docker().version();
  return { version: v.Version, apiVersion: v.ApiVersion };
}

/** Why the engine did not answer: no access to its socket is not the same as no engine. */
export function engineUnreachable(err: unknown, dockerHost = process.env.DOCKER_HOST): EngineError {
  const where = dockerHost ?? 'unix:///var/run/docker.sock';
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new EngineError(
      `permission denied on the Docker socket ${where.replace(/^unix:\/\//, '')}: a Docker engine is there, but this user may not use it`,
      {
        hint: 'add your user to the docker group (sudo usermod -aG docker $USER, then log in again), or run lab with sudo',
        cause: err,
      },
    );
  }
  return new EngineError(`no Docker engine answers at ${where}${code ? ` (${code})` : ''}`, {
    hint: 'start one (on Debian/Ubuntu as root: ./scripts/setup-docker.sh), or point DOCKER_HOST at a running engine',
    cause: err,
  });
}
