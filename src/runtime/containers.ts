/** Lab containers: created with network mode none and least privilege, found and removed by label. */
import { docker } from './docker';
import { EngineError } from '../errors';
import { LABEL_LAB, LABEL_ROLE, Role } from '../model/types';

/** What a lab container needs; rendered by the pure layer, created here. */
export interface ContainerSpec {
  name: string;
  image: string;
  hostname: string;
  lab: string;
  role: Role;
  labels?: Record<string, string>;
  /** Capabilities beyond Docker's default set (never --privileged). */
  capAdd: string[];
  sysctls: Record<string, string>;
  cmd: string[];
  /** Replaces the image's ENTRYPOINT (a container pod's Kubernetes `command`). */
  entrypoint?: string[];
  /** Use the image's own CMD instead of `cmd` (a container pod without `args`). */
  imageCmd?: boolean;
  /** resolv.conf of the container (engine DNS options), for container pods. */
  dns?: { servers: string[]; search: string[]; options: string[] };
  /** Docker's default capabilities only, nothing unmasked (container pods run user images). */
  plain?: boolean;
  env?: string[];
  /** Share the host PID namespace (only the short-lived fabric helper does). */
  pidHost?: boolean;
  binds?: string[];
  /** /etc/hosts lines the engine adds (`names:ip`), for container pods. */
  extraHosts?: string[];
  autoRemove?: boolean;
}

/** Security options every lab container runs with: explicit caps instead of --privileged. */
export const SECURITY_OPTS = ['seccomp=unconfined', 'apparmor=unconfined'];
/** The API form of `--security-opt systempaths=unconfined`: /proc and /sys unmasked, so sysctls can be set per namespace. */
const UNMASKED = { MaskedPaths: [] as string[], ReadonlyPaths: [] as string[] };

export async function createAndStart(spec: ContainerSpec): Promise<{ id: string; pid: number }> {
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
        CapAdd: spec.capAdd,
        SecurityOpt: spec.plain ? undefined : SECURITY_OPTS,
        ...(spec.plain ? {} : UNMASKED),
        // Lab containers have no way out, so a lookup must fail at once (127.0.0.1 refuses) rather
        // than wait for the host's resolvers; pods get their cluster resolver instead.
        ...(spec.dns ? { Dns: spec.dns.servers, DnsSearch: spec.dns.search, DnsOptions: spec.dns.options } : { Dns: ['127.0.0.1'] }),
        Sysctls: spec.sysctls,
        PidMode: spec.pidHost ? 'host' : undefined,
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

/** Removes containers by id, in parallel; missing ones are fine. */
export async function removeContainers(ids: string[]): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      try {
        await docker().getContainer(id).remove({ force: true, v: true });
      } catch (err) {
        const code = (err as { statusCode?: number }).statusCode;
        if (code !== 404 && code !== 409) throw err;
      }
    }),
  );
}

export async function containerPid(name: string): Promise<number> {
  const info = await docker().getContainer(name).inspect();
  if (!info.State.Running) throw new EngineError(`container ${name} is not running (state ${info.State.Status})`);
  return info.State.Pid;
}

/** Runs a short-lived container to completion and returns its output (for the fabric helper and probes of the kernel). */
export async function runToCompletion(spec: ContainerSpec): Promise<{ exitCode: number; output: string }> {
  const c = await docker().createContainer({
    name: spec.name,
    Image: spec.image,
    Cmd: spec.cmd,
    Labels: { [LABEL_LAB]: spec.lab, [LABEL_ROLE]: spec.role, ...spec.labels },
    HostConfig: {
      NetworkMode: 'none',
      CapAdd: spec.capAdd,
      SecurityOpt: SECURITY_OPTS,
      ...UNMASKED,
      PidMode: spec.pidHost ? 'host' : undefined,
      Binds: spec.binds,
    },
  });
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
