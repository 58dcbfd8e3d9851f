/**
 * Evicts the pods of a NotReady node (src/lab/eviction.ts says when): each pod is deleted from the
 * model and its Deployment gets a replacement on a Ready node (src/lab/workload-ops.ts deletePod,
 * the NotReady nodes unschedulable), started there; the stored model is updated so every command
 * and the next watch iteration see it. The evicted pods' processes stay on the silent node until it
 * answers again; the caller deletes them then (as the kubelet does when it finds its pods deleted).
 */
import type { LabModel, PodModel } from '../model/types';
import { deletePod } from './workload-ops';
import { deletePods, startPods } from './kubelet';
import { withPods } from './cni';
import { saveModel } from './state';

export interface Eviction {
  model: LabModel;
  evicted: PodModel[];
  /** Replacements, started, each with the pod it replaces. */
  rescheduled: Array<{ pod: PodModel; replaces: PodModel }>;
}

export async function evictNodePods(
  model: LabModel,
  node: string,
  unschedulable: ReadonlySet<string>,
): Promise<Eviction> {
  let next = model;
  const evicted = model.pods.filter((p) => p.node === node);
  const pairs: Array<{ pod: PodModel; replaces: PodModel }> = [];
  for (const p of evicted) {
    const change = deletePod(next, p.name, p.namespace, unschedulable);
    next = change.model;
    for (const a of change.added) pairs.push({ pod: a, replaces: p });
  }
  const started = pairs.length
    ? await startPods(
        next,
        pairs.map((x) => x.pod),
      )
    : [];
  next = withPods(next, started);
  await saveModel(next);
  const byKey = new Map(started.map((p) => [`${p.namespace}/${p.name}`, p]));
  return {
    model: next,
    evicted,
    rescheduled: pairs.map((x) => ({ ...x, pod: byKey.get(`${x.pod.namespace}/${x.pod.name}`) ?? x.pod })),
  };
}

/** The evicted pods' leftovers on a node that answers again; best effort (its namespaces may be gone). */
export async function cleanUpEvicted(model: LabModel, pods: PodModel[]): Promise<void> {
  if (pods.length) await deletePods({ ...model, pods: [...model.pods, ...pods] }, pods);
}
