/**
 * The lab's kube-scheduler: nodeName pins a pod; nodeSelector and required node affinity filter
 * nodes by label; among the eligible nodes the one with the fewest pods wins, ties going to the
 * earlier node in the topology. Deterministic, so the same file always gives the same placement.
 */
import type { NodeSelectorRequirement, NodeSelectorTerm, RawPodSpec } from './raw';
import { Issues, at } from './issues';

export interface SchedulableNode {
  name: string;
  labels: Record<string, string>;
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];

/** Checks a requirement's shape as the apiserver does; returns false when it is unusable. */
function checkRequirement(r: NodeSelectorRequirement, path: string, field: boolean, issues: Issues): boolean {
  const values = r.values ?? [];
  if (!OPERATORS.includes(r.operator)) {
    issues.add(at(path, 'operator'), `Unsupported value: "${r.operator}"`, `use one of: ${OPERATORS.join(', ')}`);
    return false;
  }
  if (field) {
    if (r.key !== 'metadata.name') {
      issues.add(
        at(path, 'key'),
        `Invalid value: "${r.key}": not a valid field selector key`,
        'matchFields supports only metadata.name',
      );
      return false;
    }
    if (r.operator !== 'In' && r.operator !== 'NotIn') {
      issues.add(
        at(path, 'operator'),
        `Invalid value: "${r.operator}": not a valid selector operator for matchFields`,
        'use In or NotIn',
      );
      return false;
    }
  }
  if ((r.operator === 'In' || r.operator === 'NotIn') && values.length === 0) {
    issues.add(
      at(path, 'values'),
      "Required value: must be specified when `operator` is 'In' or 'NotIn'",
      'list one or more values',
    );
    return false;
  }
  if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && values.length > 0) {
    issues.add(
      at(path, 'values'),
      "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'remove values',
    );
    return false;
  }
  if ((r.operator === 'Gt' || r.operator === 'Lt') && (values.length !== 1 || !/^-?[0-9]+$/.test(values[0]))) {
    issues.add(
      at(path, 'values'),
      "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
      'give exactly one integer value',
    );
    return false;
  }
  return true;
}

function matchRequirement(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?[0-9]+$/.test(value)) return false;
      const a = Number(value);
      const b = Number(values[0]);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** An empty term matches nothing (as in Kubernetes); expressions and fields in a term are ANDed. */
function matchTerm(term: NodeSelectorTerm, node: SchedulableNode): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  return (
    exprs.every((r) => matchRequirement(r, node.labels[r.key])) && fields.every((r) => matchRequirement(r, node.name))
  );
}

/** Validates the scheduling fields of a pod spec; false when they cannot be evaluated. */
export function checkPlacement(spec: RawPodSpec, specPath: string, issues: Issues): boolean {
  const before = issues.count;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const termsPath = at(
    specPath,
    'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms',
  );
  terms.forEach((t, i) => {
    (t.matchExpressions ?? []).forEach((r, j) =>
      checkRequirement(r, `${termsPath}[${i}].matchExpressions[${j}]`, false, issues),
    );
    (t.matchFields ?? []).forEach((r, j) => checkRequirement(r, `${termsPath}[${i}].matchFields[${j}]`, true, issues));
  });
  return issues.count === before;
}

/** Nodes that satisfy the pod's nodeSelector and required node affinity (nodeName aside). */
export function eligibleNodes(spec: RawPodSpec, nodes: readonly SchedulableNode[]): SchedulableNode[] {
  const selector = spec.nodeSelector ?? {};
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return nodes.filter(
    (n) =>
      Object.entries(selector).every(([k, v]) => n.labels[k] === v) && (!terms || terms.some((t) => matchTerm(t, n))),
  );
}

export type Placement = { node: string } | { error: { field: string; message: string; hint: string } };

export class Scheduler {
  private readonly load = new Map<string, number>();

  constructor(private readonly nodes: readonly SchedulableNode[]) {
    for (const n of nodes) this.load.set(n.name, 0);
  }

  /** Pods placed on each node so far. */
  podsOn(node: string): number {
    return this.load.get(node) ?? 0;
  }

  /** Places one pod and counts it; `specPath` names the pod spec in error messages. */
  place(spec: RawPodSpec, specPath: string): Placement {
    const names = this.nodes.map((n) => n.name);
    if (spec.nodeName !== undefined) {
      if (!this.load.has(spec.nodeName))
        return {
          error: {
            field: at(specPath, 'nodeName'),
            message: `node "${spec.nodeName}" does not exist`,
            hint: `use one of the topology's nodes: ${names.join(', ')}`,
          },
        };
      // The kubelet re-checks selector and affinity for pods bound by nodeName.
      if (!eligibleNodes(spec, this.nodes).some((n) => n.name === spec.nodeName))
        return {
          error: {
            field: at(specPath, 'nodeName'),
            message: `Pod was rejected: Predicate NodeAffinity failed: node ${spec.nodeName} does not match the pod's nodeSelector/affinity`,
            hint: `drop nodeName, or make spec.nodeSelector / affinity match node ${spec.nodeName}'s labels`,
          },
        };
      this.load.set(spec.nodeName, this.podsOn(spec.nodeName) + 1);
      return { node: spec.nodeName };
    }
    const eligible = eligibleNodes(spec, this.nodes);
    if (eligible.length === 0) {
      const labels = this.nodes
        .map(
          (n) =>
            `${n.name} {${Object.entries(n.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')}}`,
        )
        .join('; ');
      return {
        error: {
          field: at(specPath, spec.nodeSelector ? 'nodeSelector' : 'affinity'),
          message: `0/${this.nodes.length} nodes are available: ${this.nodes.length} node(s) didn't match Pod's node affinity/selector`,
          hint: `match the labels of a node, or add labels to a node (nodes[].labels). Nodes: ${labels}`,
        },
      };
    }
    let best = eligible[0];
    for (const n of eligible) if (this.podsOn(n.name) < this.podsOn(best.name)) best = n;
    this.load.set(best.name, this.podsOn(best.name) + 1);
    return { node: best.name };
  }
}
