/** Lab containers: created with network mode none and least privilege, found and removed by label. */
import { docker } from './docker';
import { EngineError, LabError } from '../errors';
import { LABEL_LAB, LABEL_ROLE } from '../model/types';
import type { Privileges } from '../plan/security';
import type { ContainerSpec } from '../plan/container-spec';

// Defined by the pure layer that renders it; re-exported for the runtime's callers.
export type { ContainerSpec };

/**
 * HostConfig of a role's privileges: explicit capabilities, Docker's default seccomp profile (no
 * `seccomp=` option), the engine's default masked paths (MaskedPaths unset), a private cgroup
 * namespace (the engine's default is the host's on cgroup v1), no host PID unless asked.
 */
export function securityHostConfig(p: Privileges, pidHost = false): Record<string, unknown> {
  return {
    CapDrop: p.capDrop.length ? p.capDrop : undefined,
    CapAdd: p.capAdd.length ? p.capAdd : undefined,
    SecurityOpt: p.securityOpt.length ? p.securityOpt : undefined,
    ...(p.readonlyPaths ? { ReadonlyPaths: p.readonlyPaths } : {}),
    CgroupnsMode: 'private',
    Privileged: false,
    PidMode: pidHost ? 'host' : undefined,
  };
}

/**
 * Creations in flight: an interrupt waits for them before it removes the lab, so a container
 * created just after the removal listed the lab's containers is not left behind.
 */
const inFlight = new Set<Promise<unknown>>();
let stopped: string | undefined;

/** After an interrupt: no new container is created (a creation throws), and in-flight ones settle. */
export async function stopCreating(reason: string): Promise<void> {
  stopped = reason;
  while (inFlight.size) await Promise.allSettled([...inFlight]);
}

/** A creation an interrupt must wait for (any container the lab creates outside this file). */
export function trackCreation<T>(name: string, create: () => Promise<T>): Promise<T> {
  checkNotStopped(name);
  return track(create());
}

function track<T>(p: Promise<T>): Promise<T> {
  inFlight.add(p);
  const done = () => inFlight.delete(p);
  p.then(done, done);
  return p;
}

function checkNotStopped(name: string): void {
  if (stopped) throw new LabError(`not creating ${name}: ${stopped}`);
}

export function createAndStart(spec: ContainerSpec): Promise<{ id: string; pid: number }> {
  checkNotStopped(spec.name);
  return track(createAndStartNow(spec));
}

async function createAndStartNow(spec: ContainerSpec): Promise<{ id: string; pid: number }> {
  try {
    const c = await docker().createContainer({
      name: spec.name,
      Hostname: spec.hostname.slice(0, 63),
      Image: spec.image,
      Cmd: spec.imageCmd ? undefined : spec.cmd,
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      Env: spec.env,
      Labels: { [LABEL_LAB]: spec.lab, [LABEL_ROLE]: spec.role, ...spec.labels },
      NetworkDisabled: false,
      HostConfig: {
        NetworkMode: 'none',
        ...securityHostConfig(spec.privileges, spec.pidHost),
        // Lab containers have no way out, so a lookup must fail at once (127.0.0.1 refuses) rather
        // than wait for the host's resolvers; pods get their cluster resolver instead.
        ...(spec.dns
          ? { Dns: spec.dns.servers, DnsSearch: spec.dns.search, DnsOptions: spec.dns.options }
          : { Dns: ['127.0.0.1'] }),
        Sysctls: spec.sysctls,
        Binds: spec.binds,
        ...(spec.extraHosts ? { ExtraHosts: spec.extraHosts } : {}),
        AutoRemove: spec.autoRemove ?? false,
        Init: true,
      },
    });
    await c.start();
    const info = await c.inspect();
    return { id: c.id, pid: info.State.Pid };
  } catch (err) {
    throw new EngineError(`could not start container ${spec.name}: ${(err as Error).message}`, { cause: err });
  }
}

export interface ListedContainer {
  id: string;
  name: string;
  lab: string;
  role: string;
  state: string;
  labels: Record<string, string>;
}

/** Every container carrying the lab label (one lab, or all labs). */
export async function listLabContainers(lab?: string): Promise<ListedContainer[]> {
  const filters = { label: [lab ? `${LABEL_LAB}=${lab}` : LABEL_LAB] };
  const list = await docker().listContainers({ all: true, filters });
  return list.map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    lab: c.Labels[LABEL_LAB],
    role: c.Labels[LABEL_ROLE],
    state: c.State,
    labels: c.Labels,
  }));
}

/**
 * Removes containers by id, in parallel; missing ones are fine. With `timeoutMs`, a removal the
 * engine has not finished by then is given up (the request aborted) and its id returned, so a
 * caller never hangs on one container.
 */
export async function removeContainers(ids: string[], opts: { timeoutMs?: number } = {}): Promise<string[]> {
  const late: string[] = [];
  await Promise.all(
    ids.map(async (id) => {
      const abortSignal = opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined;
      try {
        await docker().getContainer(id).remove({ force: true, v: true, abortSignal });
      } catch (err) {
        if (abortSignal?.aborted) return void late.push(id);
        const code = (err as { statusCode?: number }).statusCode;
        if (code !== 404 && code !== 409) throw err;
      }
    }),
  );
  return late;
}

/** What `docker unpause` came to: unpaused, not paused in the engine's record (409: nothing to do), or failed (with why). */
export type UnpauseResult = { ok: true } | { ok: false; notPaused: boolean; timedOut: boolean; error: string };

/** `docker unpause`, given up after `timeoutMs` (the request aborted); never throws. */
export async function unpauseWithin(id: string, timeoutMs: number): Promise<UnpauseResult> {
  const abortSignal = AbortSignal.timeout(timeoutMs);
  try {
    await docker().getContainer(id).unpause({ abortSignal });
    return { ok: true };
  } catch (err) {
    const code = (err as { statusCode?: number }).statusCode;
    return {
      ok: false,
      notPaused: code === 409 && /not paused/i.test((err as Error).message),
      timedOut: abortSignal.aborted,
      error: (err as Error).message.split('\n')[0].trim(),
    };
  }
}

export async function containerPid(name: string): Promise<number> {
  const info = await docker().getContainer(name).inspect();
  if (!info.State.Running) throw notRunning(name, info.State.Status, info.Config?.Labels?.[LABEL_LAB]);
  return info.State.Pid;
}

/** A stopped lab container: which one, and the two ways out. */
export function notRunning(name: string, state: string, lab?: string): LabError {
  const l = lab ? ` --name ${lab}` : '';
  return new LabError(`container ${name}${lab ? ` of lab ${lab}` : ''} is not running (state ${state})`, {
    hint: `repair the lab with: lab up${l} (it rebuilds a lab with a stopped container), or remove it with: lab down${l}`,
  });
}

/** Runs a short-lived container to completion and returns its output (the fabric helper). */
export async function runToCompletion(spec: ContainerSpec): Promise<{ exitCode: number; output: string }> {
  checkNotStopped(spec.name);
  // Only the creation is waited for by an interrupt; the clean-up then removes the running helper.
  const c = await track(
    docker().createContainer({
      name: spec.name,
      Image: spec.image,
      Cmd: spec.cmd,
      Labels: { [LABEL_LAB]: spec.lab, [LABEL_ROLE]: spec.role, ...spec.labels },
      HostConfig: {
        NetworkMode: 'none',
        ...securityHostConfig(spec.privileges, spec.pidHost),
        Binds: spec.binds,
      },
    }),
  );
  try {
    await c.start();
    const res = (await c.wait()) as { StatusCode: number };
    const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { exitCode: res.StatusCode, output: demuxLogs(logs) };
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/** Docker multiplexes non-TTY logs in 8-byte-header frames; keep only the payloads. */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The last `tail` lines a container wrote on stdout and stderr (for error messages). */
export async function containerLogs(name: string, tail: number): Promise<string> {
  const buf = (await docker()
    .getContainer(name)
    .logs({ stdout: true, stderr: true, follow: false, tail })) as unknown as Buffer;
  return demuxLogs(buf);
}

/**
 * `docker restart` with no grace (t 0: killed, as a node losing power), given up after `timeoutMs`:
 * the repair of a node left half set up starts again from a new, empty network namespace.
 */
export async function restartContainer(name: string, timeoutMs: number): Promise<void> {
  const abortSignal = AbortSignal.timeout(timeoutMs);
  try {
    await docker().getContainer(name).restart({ t: 0, abortSignal });
  } catch (err) {
    const why = abortSignal.aborted ? `no answer within ${timeoutMs / 1000} s` : (err as Error).message;
    throw new EngineError(`could not restart container ${name}: ${why}`, { cause: err });
  }
}

/** Fault injection: freeze (cgroup freezer), stop or start one container (thawing is bounded: unpauseWithin). */
export async function setContainerRun(name: string, action: 'pause' | 'stop' | 'start'): Promise<void> {
  const c = docker().getContainer(name);
  try {
    if (action === 'pause') await c.pause();
    else if (action === 'stop') await c.stop({ t: 0 });
    else await c.start();
  } catch (err) {
    throw new EngineError(`could not ${action} container ${name}: ${(err as Error).message}`, { cause: err });
  }
}
