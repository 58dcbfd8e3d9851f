/**
 * Least privilege that holds: on a running guide lab, escape attempts (test/e2e/escape-attempts.py)
 * run from a node, a pod and the Internet host must all fail; every lab container has exactly the
 * capabilities and confinement its role documents (src/plan/security.ts), read from `docker
 * inspect` and from the kernel's view inside it; no helper outlives its job. A control container
 * started with the old privileges proves the attempts can see an open door (the suite can fail).
 * Every attempt is harmless: nothing is written to the host (see the script's header).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import Docker from 'dockerode';
import { GUIDE, lab, labContainers, labName } from './helpers';
import { BASE_CAPS, privilegesFor, READONLY_PATHS, roleCaps } from '../../src/plan/security';
import type { Role } from '../../src/model/types';

jest.setTimeout(600_000);

const NAME = labName('e2e-sec');
const SCRIPT = fs.readFileSync(path.join(__dirname, 'escape-attempts.py'), 'utf8');
const NAMESPACES = ['mnt', 'net', 'pid', 'cgroup', 'ipc', 'uts'];

/** Capability numbers (linux/capability.h) of the names the table uses and the dangerous ones. */
const CAP_BITS: Record<string, number> = {
  CHOWN: 0,
  DAC_OVERRIDE: 1,
  DAC_READ_SEARCH: 2,
  FOWNER: 3,
  FSETID: 4,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  SETPCAP: 8,
  NET_BIND_SERVICE: 10,
  NET_ADMIN: 12,
  NET_RAW: 13,
  SYS_MODULE: 16,
  SYS_RAWIO: 17,
  SYS_CHROOT: 18,
  SYS_PTRACE: 19,
  SYS_ADMIN: 21,
  MKNOD: 27,
  AUDIT_WRITE: 29,
  SETFCAP: 31,
};
function capMask(caps: string[]): bigint {
  return caps.reduce((m, c) => m | (1n << BigInt(CAP_BITS[c])), 0n);
}

interface Attempt {
  attempt: string;
  blocked: boolean;
  detail: string;
}

/**
 * The host's side, read here on the host: its namespaces (PID 1's where this process may read
 * them, else this test's own, which are the host's that the engine's containers are made from)
 * and the host's own addresses.
 */
function hostFacts(): { hostNs: Record<string, string>; hostAddrs: string[]; ports: number[] } {
  const hostNs: Record<string, string> = {};
  for (const ns of NAMESPACES) {
    try {
      hostNs[ns] = fs.readlinkSync(`/proc/1/ns/${ns}`);
    } catch {
      hostNs[ns] = fs.readlinkSync(`/proc/self/ns/${ns}`);
    }
  }
  const hostAddrs = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && a.family === 'IPv4' && !a.internal)
    .map((a) => a.address);
  return { hostNs, hostAddrs, ports: [22, 2375, 2376] };
}

function parse(stdout: string): { attempts: Attempt[]; status: Record<string, string> } {
  const attempts: Attempt[] = [];
  const status: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const o = JSON.parse(line) as Attempt & { status?: string; value?: string };
    if (o.status) status[o.status] = o.value!;
    else attempts.push(o);
  }
  return { attempts, status };
}

const EXPECTED_ATTEMPTS = [
  'cgroup v1 mount + release_agent',
  'cgroup v2 mount / notify_on_release',
  'write kernel.core_pattern',
  'write vm.stat_interval',
  '/proc/sys read-only except net',
  'mount a fresh /proc (unmasked) and write core_pattern',
  "mount the host's block devices",
  'bind-mount /proc/1/root',
  'reach the Docker socket',
  'load a kernel module',
  "nsenter into PID 1's namespaces",
  'reach a host address',
];

/** Host values the attempts must leave as they were (they only ever open for writing). */
const WATCHED = [
  '/proc/sys/kernel/core_pattern',
  '/proc/sys/kernel/modprobe',
  '/proc/sys/vm/stat_interval',
  '/proc/sys/kernel/sysrq',
];
const readWatched = () =>
  WATCHED.map((f) => `${f}=${fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : '(absent on this kernel)'}`);

const facts = hostFacts();
const before = readWatched();

beforeAll(async () => {
  const r = await lab(['up', '-t', GUIDE, '--name', NAME, '--no-verify']);
  if (r.exitCode !== 0) throw new Error(`lab up failed:\n${r.stdout}\n${r.stderr}`);
});

afterAll(async () => {
  await lab(['down', '--name', NAME]);
  // The host's values are untouched by everything the suite tried.
  expect(readWatched()).toEqual(before);
});

const results: Record<string, Attempt[]> = {};

describe.each([
  ['a node (lab exec node1)', 'node1'],
  ['a pod (lab exec node1/pod1)', 'node1/pod1'],
  ['the Internet host (lab exec internet)', 'internet'],
])('escape attempts from %s', (_what, target) => {
  let attempts: Attempt[] = [];
  let status: Record<string, string> = {};
  beforeAll(async () => {
    const r = await execa(
      'node',
      [
        path.join(__dirname, '..', '..', 'bin', 'lab.js'),
        'exec',
        '--name',
        NAME,
        target,
        '--',
        'python3',
        '-',
        JSON.stringify(facts),
      ],
      {
        input: SCRIPT,
        reject: false,
      },
    );
    ({ attempts, status } = parse(r.stdout));
    results[target] = attempts;
    if (attempts.length === 0) throw new Error(`no attempt ran in ${target}: ${r.stderr}`);
  });

  it('ran every attempt', () => {
    expect(attempts.map((a) => a.attempt)).toEqual(expect.arrayContaining(EXPECTED_ATTEMPTS));
  });

  it.each(EXPECTED_ATTEMPTS)('%s: blocked', (name) => {
    const a = attempts.find((x) => x.attempt === name);
    expect(a).toBeDefined();
    expect({ attempt: name, blocked: a!.blocked, detail: a!.detail }).toEqual({
      attempt: name,
      blocked: true,
      detail: a!.detail,
    });
  });

  it('holds no CAP_SYS_ADMIN, SYS_MODULE, SYS_PTRACE, SYS_RAWIO or DAC_READ_SEARCH (kernel view, CapBnd)', () => {
    const bnd = BigInt(`0x${status.CapBnd}`);
    expect(bnd & capMask(['SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'SYS_RAWIO', 'DAC_READ_SEARCH'])).toBe(0n);
  });
});

describe('every container of the lab has exactly the privileges its role documents', () => {
  it("docker inspect: CapDrop ALL + the role's CapAdd, default seccomp, private cgroupns, read-only /proc/sys but net, no host mounts or PIDs", async () => {
    const d = new Docker();
    const list = await d.listContainers({ all: true, filters: { label: [`k8s-netlab.lab=${NAME}`] } });
    expect(list.length).toBeGreaterThanOrEqual(8);
    for (const c of list) {
      const info = await d.getContainer(c.Id).inspect();
      const role = info.Config.Labels['k8s-netlab.role'] as Role;
      const hc = info.HostConfig as Record<string, unknown>;
      const where = `${c.Names[0]} (${role})`;
      const p = privilegesFor(role);
      expect({ where, capAdd: [...((hc.CapAdd as string[]) ?? [])].map((x) => x.replace(/^CAP_/, '')).sort() }).toEqual(
        { where, capAdd: p.capAdd },
      );
      expect({ where, capDrop: hc.CapDrop ?? [] }).toEqual({ where, capDrop: p.capDrop });
      expect({ where, privileged: hc.Privileged }).toEqual({ where, privileged: false });
      expect({ where, cgroupns: hc.CgroupnsMode }).toEqual({ where, cgroupns: 'private' });
      expect({ where, pid: hc.PidMode }).toEqual({ where, pid: '' });
      expect({
        where,
        secopt: ((hc.SecurityOpt as string[]) ?? []).filter((o) => /seccomp|systempaths/.test(o)),
      }).toEqual({ where, secopt: [] });
      expect({ where, masked: ((hc.MaskedPaths as string[]) ?? []).length > 0 }).toEqual({ where, masked: true });
      if (role !== 'pod') expect({ where, ro: hc.ReadonlyPaths }).toEqual({ where, ro: READONLY_PATHS });
      // No host mounts (a CoreDNS pod's read-only Corefile directory is the only bind there may be).
      const binds = info.Mounts.filter((m) => m.Type === 'bind');
      expect({
        where,
        binds: binds
          .filter((m) => !(role === 'pod' && m.RW === false && m.Destination === '/etc/coredns'))
          .map((m) => m.Source),
      }).toEqual({ where, binds: [] });
      // The kernel's view: PID 1's bounding set is exactly the role's capabilities.
      if (role !== 'pod') {
        const r = await execa('docker', ['exec', c.Id, 'grep', 'CapBnd', '/proc/1/status'], { reject: false });
        const bnd = BigInt(`0x${r.stdout.split(/\s+/)[1]}`);
        expect({ where, bnd: bnd.toString(16) }).toEqual({ where, bnd: capMask(roleCaps(role)).toString(16) });
      }
    }
  });

  it('no helper outlives its job (the --pid host fabric helper is gone once up returns)', async () => {
    const helpers = await new Docker().listContainers({
      all: true,
      filters: { label: [`k8s-netlab.lab=${NAME}`, 'k8s-netlab.role=helper'] },
    });
    expect(helpers.map((h) => h.Names[0])).toEqual([]);
  });

  it("pod processes in a node never hold the node's CAP_SYS_ADMIN", async () => {
    const r = await execa(
      'docker',
      [
        'exec',
        `k8s-netlab-${NAME}-node1`,
        'sh',
        '-c',
        'for f in /run/k8s-netlab/pods/*/*.pid; do p=$(cat "$f"); echo "$f $(grep CapBnd /proc/$p/status)"; done',
      ],
      { reject: false },
    );
    const lines = r.stdout.split('\n').filter((l) => /CapBnd/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      const bnd = BigInt(`0x${l.trim().split(/\s+/).pop()}`);
      expect({ l, sysAdmin: (bnd & capMask(['SYS_ADMIN'])) !== 0n }).toEqual({ l, sysAdmin: false });
    }
  });

  it('the base set every lab role shares is documented', () => {
    expect(Object.keys(BASE_CAPS).length).toBeGreaterThan(0);
  });
});

describe('the suite can fail: a control container with the old privileges', () => {
  // The options lab containers had before (SYS_ADMIN, seccomp/AppArmor unconfined, /proc unmasked,
  // the host's cgroup namespace): the same attempts must find the doors open there.
  const control = `k8s-netlab-${NAME}-old-privileges`;
  afterAll(async () => {
    await execa('docker', ['rm', '-f', control], { reject: false });
  });
  it('sees release_agent and core_pattern writable, and the host cgroup namespace', async () => {
    const image = (await new Docker().getContainer(`k8s-netlab-${NAME}-node1`).inspect()).Config.Image;
    const run = await execa(
      'docker',
      [
        'run',
        '-d',
        '--name',
        control,
        '--label',
        `k8s-netlab.lab=${NAME}`,
        '--label',
        'k8s-netlab.role=helper',
        '--network',
        'none',
        '--cap-add',
        'NET_ADMIN',
        '--cap-add',
        'NET_RAW',
        '--cap-add',
        'SYS_ADMIN',
        '--cgroupns',
        'host',
        '--security-opt',
        'seccomp=unconfined',
        '--security-opt',
        'apparmor=unconfined',
        '--security-opt',
        'systempaths=unconfined',
        image,
        'sleep',
        '300',
      ],
      { reject: false },
    );
    expect(run.exitCode).toBe(0);
    const r = await execa('docker', ['exec', '-i', control, 'python3', '-', JSON.stringify(facts)], {
      input: SCRIPT,
      reject: false,
    });
    const { attempts } = parse(r.stdout);
    const open = attempts.filter((a) => !a.blocked).map((a) => a.attempt);
    console.log(
      `old privileges, attempts not blocked:\n${attempts
        .filter((a) => !a.blocked)
        .map((a) => `  ${a.attempt}: ${a.detail}`)
        .join('\n')}`,
    );
    expect(open).toEqual(
      expect.arrayContaining([
        'write kernel.core_pattern',
        '/proc/sys read-only except net',
        'mount a fresh /proc (unmasked) and write core_pattern',
      ]),
    );
    // release_agent is reachable where a v1 hierarchy can be mounted in the host's cgroup namespace.
    const v1 = attempts.find((a) => a.attempt === 'cgroup v1 mount + release_agent')!;
    if (/mount -t cgroup -o \w+: mounted/.test(v1.detail)) expect(v1.blocked).toBe(false);
    expect(open).toContain("nsenter into PID 1's namespaces"); // the host's cgroup namespace is shared
  });
});

afterAll(() => {
  const lines = Object.entries(results).flatMap(([t, as]) =>
    as.map((a) => `${t.padEnd(11)} ${a.blocked ? 'blocked' : 'OPEN   '} ${a.attempt}: ${a.detail}`),
  );
  console.log(`escape attempts:\n${lines.join('\n')}`);
  void labContainers;
});
