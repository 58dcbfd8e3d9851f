/**
 * What each lab container may do, and why: the one table the renderer, the README and the
 * security e2e suite read. Pure; src/runtime/containers.ts turns it into HostConfig.
 *
 * Every lab container (not the user-image container pods, which keep Docker's defaults) starts
 * from no capability at all (CapDrop ALL) and gets back only what is listed here, so what a
 * container holds never depends on the engine's default set. All of them run with Docker's
 * default seccomp profile (it allows mount/setns/unshare only to a holder of CAP_SYS_ADMIN),
 * a private cgroup namespace, Docker's default masked paths, and /proc/sys read-only except
 * /proc/sys/net (which is per network namespace).
 */
import type { Role } from '../model/types';

/** The capability set processes in a lab container need for ordinary work; each for a reason. */
export const BASE_CAPS: Record<string, string> = {
  CHOWN: 'nginx, dnsmasq, unbound and tcpdump chown their run/log files before dropping to their users',
  DAC_OVERRIDE: "root writes into files and directories owned by the programs' users (logs, pid files)",
  FOWNER: 'chmod/utime on files root does not own (pid files of daemons that dropped privileges)',
  FSETID: "keeps set-group-ID bits when root writes files (Debian packages' directories)",
  KILL: 'the kubelet part stops pod processes that run as other users; timeout signals tcpdump',
  SETGID: 'nginx workers, dnsmasq, unbound and tcpdump drop to their own group',
  SETUID: 'nginx workers, dnsmasq, unbound and tcpdump drop to their own user',
  SETPCAP: 'setpriv drops CAP_SYS_ADMIN from the bounding set of pod processes and `lab exec` shells',
  NET_BIND_SERVICE: 'servers bind ports below 1024 (nginx :80, DNS :53) after dropping to their users',
  NET_RAW: 'ping, tcpdump (packet sockets), and the raw sockets of conntrack/arping',
  SYS_CHROOT: 'unbound chroots itself; setns into a mount namespace needs it',
};

/** Capabilities a role adds to BASE_CAPS, with the reason; nothing else is granted. */
export const ROLE_CAPS: Record<Exclude<Role, 'pod' | 'helper'>, Record<string, string>> = {
  node: {
    NET_ADMIN:
      'links, addresses, routes, bridges (cbr0), vxlan, iptables/nftables/ipvs rules, conntrack, per-pod sysctls under /proc/sys/net',
    SYS_ADMIN:
      '`ip netns add` (unshare of a network namespace and its bind mount under /run/netns) and `ip netns exec` (setns, a private mount namespace, a sysfs of the pod namespace); dropped from the bounding set of every pod process and of `lab exec`',
  },
  vpc: { NET_ADMIN: 'its links, addresses, routes to the nodes and pod CIDRs, masquerade rules' },
  igw: { NET_ADMIN: 'its links, routes and the NAT between the VPC and the Internet host' },
  internet: { NET_ADMIN: 'its link, addresses and route back to the VPC' },
  lb: { NET_ADMIN: "its link, the load balancer's DNAT/SNAT rules and conntrack flushes" },
  dns: { NET_ADMIN: 'its link and addresses' },
  ingress: { NET_ADMIN: 'its transit link, the public ingress address on lo and its default route' },
};

/** The short-lived `--pid host` helper: one job per run, the least each job needs. */
export type HelperJob = 'links' | 'attach';
export const HELPER_CAPS: Record<HelperJob, Record<string, string>> = {
  // `ip link add ... netns PID` resolves the PID in the kernel (no /proc access, no setns).
  links: { NET_ADMIN: "creates each veth pair straight into two containers' network namespaces (by PID)" },
  // Opens a container pod's /proc/PID/ns/net and bind-mounts it inside the node's mount namespace.
  attach: {
    NET_ADMIN:
      "with NET_RAW and SYS_ADMIN, a superset of the node's capabilities: ptrace-read access to the node's /proc/PID/ns without CAP_SYS_PTRACE",
    SYS_ADMIN: "setns into the node's mount namespace and the bind mount of the pod's netns file under /run/netns",
    // A container pod keeps Docker's default set, which has these three and the base set lacks:
    // without them the helper's set is no superset of the pod's, and the kernel's ptrace access
    // check refuses /proc/PID/ns/net (EACCES) unless the helper held CAP_SYS_PTRACE, which with
    // the host's PID namespace would open every host process. These three open nothing of the sort.
    MKNOD:
      "with SETFCAP and AUDIT_WRITE, a superset of a container pod's (Docker default) set: ptrace-read access to its /proc/PID/ns/net without CAP_SYS_PTRACE",
    SETFCAP: 'see MKNOD',
    AUDIT_WRITE: 'see MKNOD',
  },
};

/**
 * AppArmor: docker-default denies every mount and every write under /proc/sys except
 * /proc/sys/kernel/shm* (`deny @{PROC}/sys/[^k]** w`). Nodes mount (ip netns), the VPC, gateway
 * and LB write per-interface rp_filter under /proc/sys/net once their links exist, and the
 * helpers mount and open other containers' namespaces, so those roles run unconfined; a
 * lab-specific profile would have to be loaded into the host kernel (apparmor_parser as root), a
 * host change the lab never makes. The Internet host and the ingress container need neither and
 * keep the engine's default profile (docker-default where AppArmor is enabled; this CI host has
 * no AppArmor, so only the other layers are exercised here).
 */
const APPARMOR_UNCONFINED: ReadonlySet<string> = new Set(['node', 'vpc', 'igw', 'lb', 'dns', 'helper']);

/** Docker's default read-only paths, with /proc/sys split so /proc/sys/net stays writable. */
export const PROC_SYS_READONLY = [
  'abi',
  'crypto',
  'debug',
  'dev',
  'fs',
  'fscache',
  'kernel',
  'sunrpc',
  'user',
  'vm',
].map((d) => `/proc/sys/${d}`);
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sysrq-trigger', ...PROC_SYS_READONLY];

export interface Privileges {
  capDrop: string[];
  capAdd: string[];
  securityOpt: string[];
  /** Undefined: the engine's default masked paths. */
  readonlyPaths?: string[];
}

/** Sorted capability names of a role (BASE_CAPS plus its additions), as `docker inspect` shows CapAdd. */
export function roleCaps(role: Role, job?: HelperJob): string[] {
  if (role === 'pod') return [];
  const add = role === 'helper' ? HELPER_CAPS[job ?? 'links'] : ROLE_CAPS[role];
  return [...new Set([...Object.keys(BASE_CAPS), ...Object.keys(add)])].sort();
}

/** The engine settings of a role; container pods (user images) get Docker's defaults untouched. */
export function privilegesFor(role: Role, job?: HelperJob): Privileges {
  if (role === 'pod') return { capDrop: [], capAdd: [], securityOpt: [] };
  return {
    capDrop: ['ALL'],
    capAdd: roleCaps(role, job),
    securityOpt: APPARMOR_UNCONFINED.has(role) ? ['apparmor=unconfined'] : [],
    readonlyPaths: READONLY_PATHS,
  };
}

/**
 * Prefix for commands that must not hold CAP_SYS_ADMIN inside a node (pod processes, `lab exec`):
 * the bounding set loses it, so the exec'd program and its children can never get it back.
 */
export const DROP_SYS_ADMIN = ['setpriv', '--bounding-set=-sys_admin', '--'];
