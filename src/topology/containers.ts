/**
 * Pod containers -> PodContainer. agnhost/netexec containers run as netexec processes in the
 * pod's network namespace (kind netexec); image k8s-netlab/dns is the lab's cluster DNS server,
 * also processes (kind dns); any other image runs as a container pod (kind container: a real
 * Docker container whose namespace is plumbed onto the node's pod network), one per pod.
 */
import type { ContainerPort, PodContainer } from '../model/types';
import { isIp } from '../net/ipv4';
import { Issues, at } from './issues';
import { resolveProbes } from './probes';
import { dns1123LabelProblem, portNameProblem } from './names';
import type { RawContainer, RawPodSpec } from './raw';
import { DNS_IMAGE } from './cluster-dns';

export const NETEXEC_DEFAULTS = { httpPort: 8080, udpPort: 8081, bind: '0.0.0.0' };
const NETEXEC_FLAGS = ['--http-port', '--udp-port', '--http-bind', '--udp-bind'];

/** The image's repository without registry host path, tag or digest: `registry.k8s.io/e2e-test-images/agnhost:2.47` -> `e2e-test-images/agnhost`. */
function repository(image: string): string {
  const noDigest = image.split('@')[0];
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const noTag = colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
  const parts = noTag.split('/');
  // A first component with a dot or colon, or "localhost", is a registry host.
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost')) parts.shift();
  return parts.join('/');
}

/**
 * The netexec flags of a container, or undefined when it is not a netexec container.
 * agnhost images take `netexec` as the first argument (after an optional /agnhost command).
 */
export function netexecArgs(c: RawContainer): string[] | undefined {
  const repo = repository(c.image);
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  if (/(^|\/)agnhost$/.test(repo) || repo.includes('agnhost')) {
    const rest = argv.length && /(^|\/)agnhost$/.test(argv[0]) ? argv.slice(1) : argv;
    return rest[0] === 'netexec' ? rest.slice(1) : undefined;
  }
  if (repo === 'netexec' || repo === 'k8s-netlab/netexec') {
    return argv.length && /(^|\/)netexec$/.test(argv[0]) ? argv.slice(1) : argv;
  }
  return undefined;
}

interface Listener {
  container: string;
  protocol: 'TCP' | 'UDP';
  port: number;
  bind: string;
}

/** Parses netexec flags (`--flag=value` or `--flag value`). */
function parseNetexecFlags(
  flags: string[],
  path: string,
  issues: Issues,
): { httpPort: number; udpPort: number; bind: string } | undefined {
  const values: Record<string, string> = {};
  let ok = true;
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i];
    const eq = f.indexOf('=');
    const name = eq >= 0 ? f.slice(0, eq) : f;
    if (!NETEXEC_FLAGS.includes(name)) {
      issues.add(
        path,
        `unsupported netexec flag "${f}"`,
        `the lab's netexec understands ${NETEXEC_FLAGS.join(', ')} (e.g. --http-port=8080)`,
      );
      ok = false;
      continue;
    }
    const value = eq >= 0 ? f.slice(eq + 1) : flags[++i];
    if (value === undefined) {
      issues.add(path, `netexec flag ${name} needs a value`, `write ${name}=<value>`);
      ok = false;
      continue;
    }
    values[name] = value;
  }
  const port = (flag: string, def: number, allowZero: boolean): number => {
    const v = values[flag];
    if (v === undefined) return def;
    const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
    if (!(n >= (allowZero ? 0 : 1) && n <= 65535)) {
      issues.add(path, `netexec ${flag}=${v} is not a port`, `use ${allowZero ? '0 (disabled) or ' : ''}1..65535`);
      ok = false;
    }
    return n;
  };
  const httpPort = port('--http-port', NETEXEC_DEFAULTS.httpPort, false);
  const udpPort = port('--udp-port', NETEXEC_DEFAULTS.udpPort, true);
  for (const flag of ['--http-bind', '--udp-bind']) {
    const v = values[flag];
    if (v !== undefined && !isIp(v)) {
      issues.add(
        path,
        `netexec ${flag}=${v} is not an IPv4 address`,
        'use 0.0.0.0 (all addresses) or 127.0.0.1 (inside the pod only)',
      );
      ok = false;
    }
  }
  const httpBind = values['--http-bind'] ?? NETEXEC_DEFAULTS.bind;
  const udpBind =
    values['--udp-bind'] ?? (values['--http-bind'] !== undefined && udpPort === 0 ? httpBind : NETEXEC_DEFAULTS.bind);
  // One bind address per server process; a UDP-disabled server only needs the HTTP one.
  if (udpPort !== 0 && httpBind !== udpBind) {
    issues.add(
      path,
      `netexec --http-bind=${httpBind} and --udp-bind=${udpBind} differ`,
      'the lab runs one bind address per container: give both flags the same address',
    );
    ok = false;
  }
  return ok ? { httpPort, udpPort, bind: httpBind } : undefined;
}

/** `env: [{name, value}]` -> NAME=value (valueFrom is not supported: no API server to read it from). */
function containerEnv(env: unknown, path: string, issues: Issues): string[] {
  if (env === undefined) return [];
  if (!Array.isArray(env)) {
    issues.add(path, 'must be a list of {name, value}', 'write env: [{name: FOO, value: bar}]');
    return [];
  }
  const out: string[] = [];
  env.forEach((e, i) => {
    const x = (e ?? {}) as { name?: unknown; value?: unknown; valueFrom?: unknown };
    if (typeof x.name !== 'string' || !/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(x.name))
      issues.add(
        at(path, `[${i}].name`),
        `"${String(x.name)}" is not a valid environment variable name`,
        'use letters, digits, _, - and ., not starting with a digit',
      );
    else if (x.valueFrom !== undefined)
      issues.add(
        at(path, `[${i}].valueFrom`),
        'valueFrom is not supported by the lab',
        'give the value inline with value:',
      );
    else out.push(`${x.name}=${x.value === undefined ? '' : String(x.value)}`);
  });
  return out;
}

/** Resolves a pod spec's containers; problems go to `issues` under `specPath`. */
export function resolveContainers(spec: RawPodSpec, specPath: string, issues: Issues): PodContainer[] {
  const out: PodContainer[] = [];
  const names = new Set<string>();
  const portNames = new Set<string>();
  const listeners: Listener[] = [];
  if (spec.hostNetwork)
    issues.add(
      at(specPath, 'hostNetwork'),
      'hostNetwork pods are not supported by the lab yet',
      'remove hostNetwork (or set it to false)',
    );
  spec.containers.forEach((c, i) => {
    const path = at(specPath, `containers[${i}]`);
    const nameProblem = dns1123LabelProblem(c.name);
    if (nameProblem) issues.add(at(path, 'name'), nameProblem, 'use a DNS-1123 label, e.g. web');
    else if (names.has(c.name))
      issues.add(at(path, 'name'), `Duplicate value: "${c.name}"`, 'container names must be unique in a pod');
    names.add(c.name);

    const ports: ContainerPort[] = [];
    (c.ports ?? []).forEach((p, j) => {
      const pp = at(path, `ports[${j}]`);
      if (p.name !== undefined) {
        const problem = portNameProblem(p.name);
        if (problem) issues.add(at(pp, 'name'), problem, 'use a short name such as http or dns-udp');
        else if (portNames.has(p.name))
          issues.add(
            at(pp, 'name'),
            `Duplicate value: "${p.name}"`,
            'port names must be unique across the containers of a pod',
          );
        portNames.add(p.name);
      }
      ports.push({
        ...(p.name !== undefined ? { name: p.name } : {}),
        containerPort: p.containerPort,
        protocol: (p.protocol ?? 'TCP') as ContainerPort['protocol'],
      });
    });

    const flags = netexecArgs(c);
    if (flags === undefined && repository(c.image).includes('agnhost')) {
      // agnhost stands for the lab's own netexec; its other subcommands are not emulated.
      issues.add(
        at(path, 'image'),
        `image "${c.image}" cannot run in the lab: of agnhost, only the netexec subcommand is supported`,
        'use image registry.k8s.io/e2e-test-images/agnhost:2.47 with args [netexec, ' +
          '--http-port=8080, --udp-port=8081] (or image k8s-netlab/netexec with netexec flags)',
      );
      return;
    }
    if (flags === undefined && repository(c.image) === DNS_IMAGE) {
      // The lab's offline cluster DNS server (knotd + unbound), run as processes in the pod netns.
      const dprobes = resolveProbes(c, path, ports, issues, { exec: true });
      out.push({
        kind: 'dns',
        name: c.name,
        image: c.image,
        bind: '0.0.0.0',
        ports,
        ...(dprobes ? { probes: dprobes } : {}),
      });
      return;
    }
    if (flags === undefined) {
      // Any other image: a container pod (a Docker container plumbed onto the node's pod network).
      if (spec.containers.length > 1) {
        issues.add(
          at(path, 'image'),
          `image "${c.image}" runs as a container pod, and a container pod holds exactly one container (this pod has ${spec.containers.length})`,
          'put this container in a pod of its own, or use agnhost netexec containers (processes in one pod namespace) for multi-container pods',
        );
        return;
      }
      const env = containerEnv(c.env, at(path, 'env'), issues);
      const cprobes = resolveProbes(c, path, ports, issues, { exec: false });
      out.push({
        kind: 'container',
        name: c.name,
        image: c.image,
        ...(c.command ? { command: [...c.command] } : {}),
        ...(c.args ? { args: [...c.args] } : {}),
        ...(env.length ? { env } : {}),
        bind: '0.0.0.0',
        ports,
        ...(cprobes ? { probes: cprobes } : {}),
      });
      return;
    }
    const parsed = parseNetexecFlags(flags, at(path, 'args'), issues);
    if (!parsed) return;
    const probes = resolveProbes(c, path, ports, issues, { exec: true });
    const container: PodContainer = {
      kind: 'netexec',
      name: c.name,
      image: c.image,
      httpPort: parsed.httpPort,
      ...(parsed.udpPort ? { udpPort: parsed.udpPort } : {}),
      bind: parsed.bind,
      ports,
      ...(probes ? { probes } : {}),
    };
    out.push(container);
    const mine: Listener[] = [{ container: c.name, protocol: 'TCP', port: parsed.httpPort, bind: parsed.bind }];
    if (parsed.udpPort) mine.push({ container: c.name, protocol: 'UDP', port: parsed.udpPort, bind: parsed.bind });
    // Containers share the pod's network namespace: two servers on one port and address clash.
    for (const l of mine) {
      const clash = listeners.find(
        (o) =>
          o.protocol === l.protocol &&
          o.port === l.port &&
          (o.bind === l.bind || o.bind === '0.0.0.0' || l.bind === '0.0.0.0'),
      );
      if (clash)
        issues.add(
          at(path, 'args'),
          `containers "${clash.container}" and "${c.name}" both listen on ${l.protocol} port ${l.port} in the same pod network namespace`,
          'give one of them another port (--http-port/--udp-port; --udp-port=0 disables UDP)',
        );
      listeners.push(l);
    }
  });
  return out;
}
