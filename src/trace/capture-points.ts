/**
 * Which capture points a running lab has: the model's (capturePoints) plus every interface
 * `ip -o link` shows in each lab container and each pod namespace inside it. Containers are
 * taken from the engine's labels, so a container or interface added later (igw, lb, ingress,
 * kube-ipvs0, flannel.1) is a capture point without code changes here. Pure: the runtime
 * supplies the listings. Here in trace/, beside capture-plan.ts it extends, not in the
 * controller folder src/lab/.
 */
import { LabModel } from '../model/types';
import { capturePoints, podTargetId } from './capture-plan';

/** What to run in one container to list its links and those of every `ip netns` inside it. */
export const LIST_LINKS_SCRIPT = [
  'ip -o link show',
  'for ns in $(ip netns list 2>/dev/null | cut -d" " -f1); do echo "@netns $ns"; ip -n "$ns" -o link show; done',
].join('\n');

/** Interface names from `ip -o link show` (`eth0@if2` -> `eth0`). */
export function parseIpLinkNames(out: string): string[] {
  const names: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)(?:@[^:\s]+)?:/.exec(line);
    if (m && !names.includes(m[1])) names.push(m[1]);
  }
  return names;
}

export interface LinkListing {
  root: string[];
  /** Interfaces per `ip netns` name. */
  netns: Record<string, string[]>;
}

/** Output of LIST_LINKS_SCRIPT, split by namespace. */
export function parseLinkListing(out: string): LinkListing {
  const res: LinkListing = { root: [], netns: {} };
  let cur: string[] = [];
  const chunks: Array<{ ns?: string; lines: string[] }> = [{ lines: cur }];
  for (const line of out.split('\n')) {
    const m = /^@netns (\S+)/.exec(line);
    if (m) {
      cur = [];
      chunks.push({ ns: m[1], lines: cur });
    } else cur.push(line);
  }
  for (const c of chunks) {
    const names = parseIpLinkNames(c.lines.join('\n'));
    if (c.ns === undefined) res.root = names;
    else res.netns[c.ns] = names;
  }
  return res;
}

/** A lab container as the engine lists it. */
export interface ListedLabContainer {
  /** Docker container name. */
  name: string;
  role: string;
  labels?: Record<string, string>;
}

/** Where a capture point's tcpdump runs. */
export interface CaptureTarget {
  /** `node1`, `node1/pod1`, `vpc`, `igw`. */
  target: string;
  /** Docker container name. */
  container: string;
  /** `ip netns` name when the target is a pod. */
  netns?: string;
}

/**
 * The short name a container goes by in targets: the model's name for nodes and the VPC, else
 * the container name without the `<prefix>-<lab>-` part (k8s-netlab-guide-igw -> igw).
 */
export function shortContainerName(model: LabModel, c: ListedLabContainer): string {
  if (c.name === model.vpc.container) return model.vpc.name;
  const node = model.nodes.find((n) => n.container === c.name);
  if (node) return node.name;
  const pre = `${model.prefix}-${model.name}-`;
  if (c.name.startsWith(pre)) return c.name.slice(pre.length);
  return c.labels?.['k8s-netlab.node'] ?? c.role;
}

/** Roles whose containers are not places to capture (short-lived helpers). */
const SKIP_ROLES = new Set(['helper']);

export interface PointIndex {
  /** Every valid point, model order first, then what was observed. */
  points: string[];
  /** Target spelling -> where to run tcpdump. */
  targets: Record<string, CaptureTarget>;
}

/**
 * Valid capture points of a running lab. `listings` maps a Docker container name to what
 * LIST_LINKS_SCRIPT printed there; containers with no listing still get the model's points.
 */
export function indexCapturePoints(
  model: LabModel,
  containers: ListedLabContainer[],
  listings: Record<string, LinkListing>,
): PointIndex {
  const targets: Record<string, CaptureTarget> = {};
  const observed: string[] = [];
  targets[model.vpc.name] = { target: model.vpc.name, container: model.vpc.container };
  for (const n of model.nodes) targets[n.name] = { target: n.name, container: n.container };
  // Edge containers the model knows (igw, lb, ingress, internet): their points come from the listing.
  const e = model.edge;
  if (e)
    for (const c of [e.igw, e.lb, e.ingress, e.internet])
      targets[c.name] ??= { target: c.name, container: c.container };
  for (const p of model.pods) {
    const node = model.nodes.find((n) => n.name === p.node);
    if (node) targets[podTargetId(p)] = { target: podTargetId(p), container: node.container, netns: p.netns };
  }
  for (const c of containers) {
    if (SKIP_ROLES.has(c.role)) continue;
    const short = shortContainerName(model, c);
    targets[short] ??= { target: short, container: c.name };
    const l = listings[c.name];
    if (!l) continue;
    for (const i of l.root) observed.push(`${short}:${i}`);
    const node = model.nodes.find((n) => n.container === c.name);
    for (const [ns, ifaces] of Object.entries(l.netns)) {
      const pod = node && model.pods.find((p) => p.node === node.name && p.netns === ns);
      // A namespace the model does not know (e.g. one an ingress container made) is still a target: CONTAINER/NETNS.
      const t = pod ? podTargetId(pod) : `${short}/${ns}`;
      targets[t] ??= { target: t, container: c.name, netns: ns };
      for (const i of ifaces) observed.push(`${t}:${i}`);
    }
  }
  // `any` works in every namespace tcpdump runs in.
  const extra = [...observed, ...Object.keys(targets).map((t) => `${t}:any`)];
  const points = capturePoints(model, extra).filter((p) => targets[p.slice(0, p.lastIndexOf(':'))] !== undefined);
  return { points, targets };
}

/** The target part of a point string (`node1/pod1:eth0` -> `node1/pod1`). */
export function pointTarget(point: string): string {
  return point.slice(0, point.lastIndexOf(':'));
}
