/**
 * Pure helpers for `lab capture` / `lab trace`: capture point names, the tcpdump command line
 * run at each point, and the pcap file each point writes.
 *
 * A capture point is `<target>:<iface>`; target is what `lab exec` accepts: `node1` (a node's
 * root namespace), `node1/pod1` (a pod's namespace inside node1), `vpc`, `igw`, ...
 */
import { InputError } from '../errors';
import type { LabModel } from '../model/types';

export interface CapturePoint {
  /** The point as written: `node1/pod1:eth0`. */
  point: string;
  /** `node1/pod1`, `node1`, `vpc`. */
  target: string;
  /** Container short name: `node1`, `vpc`. */
  container: string;
  /** Pod name when the point is inside a pod's namespace. */
  pod?: string;
  /** The pod's Kubernetes namespace when written (`node1/kube-system/coredns:eth0`); default otherwise. */
  namespace?: string;
  iface: string;
}

// Linux dev_valid_name(): at most 15 bytes, no '/', ':' or whitespace; "any" is tcpdump's pseudo-device.
const IFACE_RE = /^[^\s/:]{1,15}$/;
const TARGET_PART_RE = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

/** Split a point string without consulting the lab; undefined if it is not `<target>:<iface>`. */
export function splitCapturePoint(s: string): CapturePoint | undefined {
  const m = /^([^:\s]+):([^:\s]+)$/.exec(s.trim());
  if (!m) return undefined;
  const [, target, iface] = m;
  if (!IFACE_RE.test(iface) || iface === '.' || iface === '..') return undefined;
  const parts = target.split('/');
  // NODE, NODE/POD, NODE/NAMESPACE/POD: the spellings `lab exec` takes.
  if (parts.length > 3 || parts.some((p) => !TARGET_PART_RE.test(p))) return undefined;
  const out: CapturePoint = {
    point: `${target}:${iface}`,
    target,
    container: parts[0],
    pod: parts[parts.length - 1],
    iface,
  };
  if (parts.length === 1) out.pod = undefined;
  if (parts.length === 3) out.namespace = parts[1];
  return out;
}

/**
 * Parse and validate a capture point against the lab's valid points. The error lists them,
 * so a typo is fixed in one go.
 */
export function parseCapturePoint(s: string, valid: string[], field = 'point'): CapturePoint {
  const p = splitCapturePoint(s);
  const list = valid.length ? valid.join(', ') : '(none: is the lab up?)';
  if (!p) {
    throw new InputError(
      `"${s}" is not a capture point: expected <target>:<iface>, e.g. node1/pod1:eth0, node1:cbr0, vpc:v-node1`,
      {
        field,
        hint: `valid points: ${list}`,
      },
    );
  }
  if (!valid.includes(p.point)) {
    const sameTarget = valid.filter((v) => v.startsWith(`${p.target}:`));
    const hint = sameTarget.length
      ? `${p.target} has: ${sameTarget.map((v) => v.slice(p.target.length + 1)).join(', ')}`
      : `valid points: ${list}`;
    throw new InputError(`unknown capture point ${p.point}`, { field, hint });
  }
  return p;
}

/** Parse several points (e.g. a comma list from --at), reporting every bad one at once. */
export function parseCapturePoints(items: string[], valid: string[], field = 'point'): CapturePoint[] {
  const out: CapturePoint[] = [];
  const errs: string[] = [];
  const caught: InputError[] = [];
  for (const s of items
    .flatMap((i) => i.split(','))
    .map((i) => i.trim())
    .filter(Boolean)) {
    try {
      const p = parseCapturePoint(s, valid, field);
      if (!out.some((o) => o.point === p.point)) out.push(p);
    } catch (e) {
      caught.push(e as InputError);
      errs.push((e as InputError).message.replace(`${field}: `, ''));
    }
  }
  // One bad point keeps its own hint (e.g. the interfaces its target does have).
  if (caught.length === 1) throw caught[0];
  if (errs.length) throw new InputError(errs.join('; '), { field, hint: `valid points: ${valid.join(', ')}` });
  return out;
}

/**
 * Every capture point of a lab: each node's eth0, cbr0, pod veths, flannel.1 (vxlan) and any;
 * each pod's eth0; the VPC router's node links and subnet bridges. Other roles (igw, lb, ...)
 * are added by whoever builds them via `extra`.
 */
export function capturePoints(model: LabModel, extra: string[] = []): string[] {
  const out: string[] = [];
  for (const n of model.nodes) {
    // vpc-native routes each pod veth: no cbr0 there.
    out.push(`${n.name}:eth0`);
    if (model.cluster.cni !== 'vpc-native') out.push(`${n.name}:cbr0`);
    if (model.cluster.cni === 'vxlan') out.push(`${n.name}:flannel.1`);
    for (const p of model.pods.filter((x) => x.node === n.name)) out.push(`${n.name}:${p.hostVeth}`);
    out.push(`${n.name}:any`);
  }
  for (const p of model.pods) out.push(`${podTargetId(p)}:eth0`);
  const vpc = model.vpc.name;
  for (const n of model.nodes) out.push(`${vpc}:${n.vpcIface}`);
  for (const s of model.subnets) out.push(`${vpc}:${s.bridge}`);
  out.push(`${vpc}:any`, ...extra);
  return [...new Set(out)];
}

/** A pod as a capture target: `node1/pod1`, or `node1/kube-system/coredns` outside the default namespace. */
export function podTargetId(p: { node: string; name: string; namespace: string }): string {
  return !p.namespace || p.namespace === 'default' ? `${p.node}/${p.name}` : `${p.node}/${p.namespace}/${p.name}`;
}

/** The pod's network namespace for a pod point (what `ip netns exec` takes). */
export function netnsFor(model: LabModel, p: CapturePoint): string | undefined {
  if (!p.pod) return undefined;
  const pod = model.pods.find(
    (x) => x.node === p.container && x.name === p.pod && (x.namespace ?? 'default') === (p.namespace ?? 'default'),
  );
  if (!pod)
    throw new InputError(`no pod ${p.pod} on ${p.container}`, {
      field: 'point',
      hint: `pods on ${p.container}: ${
        model.pods
          .filter((x) => x.node === p.container)
          .map((x) => x.name)
          .join(', ') || 'none'
      }`,
    });
  return pod.netns;
}

export interface TcpdumpOptions {
  iface: string;
  /** Output file inside the container; `-` streams the pcap to stdout. */
  file: string;
  /** Stop after this many packets. */
  count?: number;
  /** BPF filter expression, passed as one argument. */
  filter?: string;
  snaplen?: number;
  /** Pod namespace: the command is prefixed with `ip netns exec NETNS`. */
  netns?: string;
  /** `-Z USER`: some tcpdump builds drop to user tcpdump and then cannot write FILE. */
  user?: string;
  /**
   * `--immediate-mode` (default on): without it libpcap's TPACKET_V3 ring hands packets over
   * in blocks retired after up to 1 s, and a tcpdump stopped right after a probe loses them
   * ("N packets received by filter, 0 captured").
   */
  immediate?: boolean;
  /** Kernel capture buffer in KiB (tcpdump -B); 16 MiB by default. */
  bufferKiB?: number;
  /**
   * `--time-stamp-precision=nano`: the trace orders a packet's sightings by the shared kernel
   * clock, and hops through a veth pair can be less than a microsecond apart.
   */
  nanos?: boolean;
}

/** argv of `tcpdump -i IFACE -U -n -s 262144 --immediate-mode -w FILE [-c COUNT] [filter]` (+ netns prefix). */
export function tcpdumpArgv(o: TcpdumpOptions): string[] {
  if (!IFACE_RE.test(o.iface))
    throw new InputError(`bad interface name "${o.iface}"`, {
      field: 'iface',
      hint: 'an interface name has 1-15 characters, no / : or spaces',
    });
  if (o.count !== undefined && (!Number.isInteger(o.count) || o.count < 1)) {
    throw new InputError(`packet count must be a positive integer, got ${o.count}`, { field: 'count' });
  }
  const filter = o.filter?.trim();
  if (filter && filter.startsWith('-'))
    throw new InputError(`capture filter "${filter}" looks like an option`, {
      field: 'filter',
      hint: 'give a BPF expression such as "tcp port 80 or icmp"',
    });
  const argv = ['tcpdump', '-i', o.iface, '-U', '-n', '-s', String(o.snaplen ?? 262144)];
  if (o.immediate ?? true) argv.push('--immediate-mode');
  // A larger kernel buffer (KiB) than libpcap's 2 MiB default, so bursts (health checks, MTU-sized
  // pings on the same wire) are not dropped while tcpdump writes.
  argv.push('-B', String(o.bufferKiB ?? 16384));
  if (o.nanos) argv.push('--time-stamp-precision=nano');
  argv.push('-w', o.file);
  if (o.user) argv.push('-Z', o.user);
  if (o.count !== undefined) argv.push('-c', String(o.count));
  if (filter) argv.push(filter);
  return o.netns ? ['ip', 'netns', 'exec', o.netns, ...argv] : argv;
}

/** POSIX-shell quoting for display and `sh -c` scripts. */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The command line as a string. */
export function tcpdumpCommand(o: TcpdumpOptions): string {
  return shellQuote(tcpdumpArgv(o));
}

/**
 * File name for a point's capture: `/` becomes `_`, `:` becomes `@` (node1/pod1:eth0 ->
 * node1_pod1@eth0.pcap); any other byte outside [A-Za-z0-9._-] is %-escaped, so names stay
 * distinct and safe on every file system.
 */
export function pcapFileName(point: string): string {
  let s = '';
  for (const ch of Buffer.from(point, 'utf8')) {
    const c = String.fromCharCode(ch);
    if (c === '/') s += '_';
    else if (c === ':') s += '@';
    else if (/[A-Za-z0-9.-]/.test(c)) s += c;
    else s += `%${ch.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (s.startsWith('.')) s = `%2E${s.slice(1)}`;
  return `${s}.pcap`;
}
