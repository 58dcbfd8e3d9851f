/** What a lab container needs: rendered by the pure layer (src/plan/), created by src/runtime/containers.ts. */
import type { Role } from '../model/types';
import type { Privileges } from './security';

export interface ContainerSpec {
  name: string;
  image: string;
  hostname: string;
  lab: string;
  role: Role;
  labels?: Record<string, string>;
  /** Capabilities, seccomp/AppArmor and read-only paths of the role (src/plan/security.ts; never --privileged). */
  privileges: Privileges;
  sysctls: Record<string, string>;
  cmd: string[];
  /** Replaces the image's ENTRYPOINT (a container pod's Kubernetes `command`). */
  entrypoint?: string[];
  /** Use the image's own CMD instead of `cmd` (a container pod without `args`). */
  imageCmd?: boolean;
  /** resolv.conf of the container (engine DNS options), for container pods. */
  dns?: { servers: string[]; search: string[]; options: string[] };
  env?: string[];
  /** Share the host PID namespace (only the short-lived fabric helper does). */
  pidHost?: boolean;
  binds?: string[];
  /** /etc/hosts lines the engine adds (`names:ip`), for container pods. */
  extraHosts?: string[];
  autoRemove?: boolean;
}
