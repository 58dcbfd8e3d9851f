/** What a lab apply changes in the NetworkPolicies, as kubectl apply words it. */
import type { LabModel } from '../model/types';

export function policyChanges(before: LabModel, after: LabModel): string[] {
  const map = (m: LabModel) =>
    new Map((m.networkPolicies ?? []).map((p) => [`${p.namespace}/${p.name}`, JSON.stringify(p)]));
  const a = map(before);
  const b = map(after);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.flatMap((k) => {
    if (!a.has(k)) return [`networkpolicy ${k} created`];
    if (!b.has(k)) return [`networkpolicy ${k} deleted`];
    return a.get(k) !== b.get(k) ? [`networkpolicy ${k} configured`] : [];
  });
}
