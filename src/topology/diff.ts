/** What differs between the running lab and a topology: said plainly, one line per difference. */
import { LabModel } from '../model/types';

function keyed<T>(items: T[], key: (t: T) => string, show: (t: T) => string): Map<string, string> {
  return new Map(items.map((t) => [key(t), show(t)]));
}

function diffSet(kind: string, a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of b) {
    if (!a.has(k)) out.push(`${kind} ${k} is in the file but not running`);
    else if (a.get(k) !== v) out.push(`${kind} ${k}: running ${a.get(k)}, file ${v}`);
  }
  for (const k of a.keys()) if (!b.has(k)) out.push(`${kind} ${k} is running but not in the file`);
  return out;
}

/** Per Deployment: its pods' template hash, nodes and addresses, in a stable order. */
function replicaSets(m: LabModel): Map<string, string> {
  const out = new Map<string, string[]>();
  for (const p of m.pods.filter((x) => x.owner)) {
    const k = `${p.namespace}/${p.owner}`;
    out.set(k, [...(out.get(k) ?? []), `${p.labels['pod-template-hash'] ?? ''} ${p.node} ${p.ip}`]);
  }
  return new Map([...out].map(([k, v]) => [k, `${v.length} pods: ${v.sort().join(', ')}`]));
}

export function diffModels(running: LabModel, wanted: LabModel): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(wanted.cluster)) {
    const r = (running.cluster as unknown as Record<string, unknown>)[k];
    if (JSON.stringify(r) !== JSON.stringify(v))
      out.push(`cluster.${k}: running ${JSON.stringify(r)}, file ${JSON.stringify(v)}`);
  }
  out.push(
    ...diffSet(
      'node',
      keyed(
        running.nodes,
        (n) => n.name,
        (n) => `${n.subnet} ${n.ip} ${n.podCIDR}`,
      ),
      keyed(
        wanted.nodes,
        (n) => n.name,
        (n) => `${n.subnet} ${n.ip} ${n.podCIDR}`,
      ),
    ),
    ...diffSet(
      'pod',
      keyed(
        running.pods.filter((p) => !p.owner),
        (p) => `${p.namespace}/${p.name}`,
        (p) => `${p.node} ${p.ip}`,
      ),
      keyed(
        wanted.pods.filter((p) => !p.owner),
        (p) => `${p.namespace}/${p.name}`,
        (p) => `${p.node} ${p.ip}`,
      ),
    ),
    // A Deployment's pods have random names (a new draw on every load): compare what they are instead.
    ...diffSet('deployment', replicaSets(running), replicaSets(wanted)),
    ...diffSet(
      'service',
      keyed(
        running.services,
        (s) => `${s.namespace}/${s.name}`,
        (s) => JSON.stringify(s),
      ),
      keyed(
        wanted.services,
        (s) => `${s.namespace}/${s.name}`,
        (s) => JSON.stringify(s),
      ),
    ),
  );
  return out;
}
