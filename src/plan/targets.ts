/**
 * Targets as `lab exec` takes them: NODE, NODE/POD, NODE/NAMESPACE/POD, POD, or a lab container such as `vpc`.
 * Here in plan/, not lab/: it is pure (model in, argv out, beside podEnter it builds on), and the
 * probes in src/paths/ use it, so they need nothing from the controllers in src/lab/.
 */
import { LabModel, PodModel } from '../model/types';
import { InputError } from '../errors';
import { DROP_SYS_ADMIN } from './security';
import { podEnter } from './pod-identity';

export interface Target {
  /** Canonical spelling: `node1`, `node1/pod1`, `vpc`. */
  id: string;
  container: string;
  /** Set when the target is a pod: its namespace inside the node container. */
  netns?: string;
  pod?: PodModel;
}

export function labContainers(model: LabModel): Array<{ name: string; container: string }> {
  const edge = model.edge
    ? [model.edge.igw, model.edge.internet, model.edge.lb].map((c) => ({ name: c.name, container: c.container }))
    : [];
  return [model.vpc, ...model.nodes.map((n) => ({ name: n.name, container: n.container })), ...edge];
}

export function podTarget(model: LabModel, pod: PodModel): Target {
  const node = model.nodes.find((n) => n.name === pod.node);
  if (!node) throw new Error(`pod ${pod.name} is on unknown node ${pod.node}`);
  const podPart = pod.namespace === 'default' ? pod.name : `${pod.namespace}/${pod.name}`;
  return { id: `${node.name}/${podPart}`, container: node.container, netns: pod.netns, pod };
}

export function validTargets(model: LabModel): string[] {
  return [...labContainers(model).map((c) => c.name), ...model.pods.map((p) => podTarget(model, p).id)];
}

export function resolveTarget(model: LabModel, spec: string): Target {
  const parts = spec.split('/');
  const fail = (): never => {
    throw new InputError(`no target "${spec}" in lab ${model.name}`, {
      field: 'target',
      hint: `use one of: ${validTargets(model).join(', ')}`,
    });
  };
  if (parts.length === 1) {
    const c = labContainers(model).find((x) => x.name === spec);
    if (c) return { id: c.name, container: c.container };
    const pods = model.pods.filter((p) => p.name === spec);
    if (pods.length === 1) return podTarget(model, pods[0]);
    return fail();
  }
  const [nodeName, ...rest] = parts;
  const node = model.nodes.find((n) => n.name === nodeName);
  if (!node) return fail();
  const [ns, name] =
    rest.length === 1 ? ['default', rest[0]] : rest.length === 2 ? [rest[0], rest[1]] : [undefined, undefined];
  const pod = model.pods.find((p) => p.node === node.name && p.name === name && p.namespace === ns);
  if (!pod) return fail();
  return podTarget(model, pod);
}

/** argv that runs a command inside the target (in the pod's UTS and network namespaces when it is a pod). */
export function targetArgv(t: Target, argv: string[]): string[] {
  return t.netns ? [...podEnter({ netns: t.netns }), ...argv] : argv;
}

/**
 * argv of `lab exec`: in a node, and in a pod (which runs in its node), the user's command never
 * holds the node's CAP_SYS_ADMIN. That capability is for the lab's own `ip netns` plumbing; with
 * it a shell could mount a fresh /proc and write host-wide sysctls (src/plan/security.ts).
 */
export function userArgv(model: LabModel, t: Target, argv: string[]): string[] {
  const inNode = t.netns !== undefined || model.nodes.some((n) => n.container === t.container);
  return targetArgv(t, inNode ? [...DROP_SYS_ADMIN, ...argv] : argv);
}
