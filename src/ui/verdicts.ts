/**
 * Verify results laid on the picture (pure): each path green or red, and every drawn vertex a
 * probe started or ended at coloured by the verdicts of those probes (red when any failed). A
 * probe's `from`/`to` are the names verify prints (`node1/pod1`, `node2`, `vpc`, `10.96.0.10:53`,
 * `internet 203.0.113.10`): resolved here to the vertices src/graph/model.ts draws.
 */
import type { LabModel } from '../model/types';
import type { ProbeResult } from '../paths/common/types';
import { nodeGroupId, podId, serviceId } from '../graph/model';

export type PictureVerdict = 'pass' | 'fail';

export interface VerifyPicture {
  /** path id -> pass when every judged probe of the path passed. */
  paths: Record<string, PictureVerdict>;
  /** vertex id -> the verdict of the probes that touched it. */
  vertices: Record<string, PictureVerdict>;
}

/** The drawn vertex a probe endpoint names, if any. */
export function vertexForEndpoint(model: LabModel, name: string): string | undefined {
  let s = name.trim();
  if (/^internet\b/.test(s)) return 'edge/internet';
  s = s.replace(/^dns /, '').replace(/\/(udp|tcp)$/i, '');
  if (s === model.vpc.name || s === 'vpc') return 'vpc/router';
  if (['igw', 'lb', 'ingress'].includes(s)) return `edge/${s}`;
  const parts = s.split('/');
  if (parts.length >= 2) {
    const [node, a, b] = parts;
    const pod = model.pods.find((p) => p.node === node && (b ? p.namespace === a && p.name === b : p.name === a));
    if (pod) return podId(pod.namespace, pod.name);
    const svc = model.services.find((x) => x.namespace === node && x.name === a.replace(/:\d+$/, ''));
    return svc ? serviceId(svc.namespace, svc.name) : undefined;
  }
  const node = model.nodes.find((n) => n.name === s);
  if (node) return `${nodeGroupId(node.name)}/eth0`;
  const ip = s.replace(/:\d+$/, '');
  const pod = model.pods.find((p) => p.ip === ip);
  if (pod) return podId(pod.namespace, pod.name);
  const byNode = model.nodes.find((n) => n.ip === ip || n.publicIP === ip);
  if (byNode) return `${nodeGroupId(byNode.name)}/eth0`;
  if (model.nodes.some((n) => n.cbr0IP === ip))
    return `${nodeGroupId(model.nodes.find((n) => n.cbr0IP === ip)!.name)}/cbr0`;
  const svc = model.services.find((x) => x.clusterIP === ip);
  if (svc) return serviceId(svc.namespace, svc.name);
  if (model.services.some((x) => x.loadBalancerIP === ip)) return 'edge/lb';
  return undefined;
}

export function verifyPicture(model: LabModel, probes: ProbeResult[]): VerifyPicture {
  const out: VerifyPicture = { paths: {}, vertices: {} };
  const mark = (rec: Record<string, PictureVerdict>, k: string, v: PictureVerdict) => {
    if (rec[k] !== 'fail') rec[k] = v;
  };
  for (const p of probes) {
    if (p.verdict === 'not applicable') continue;
    const v: PictureVerdict = p.ok ? 'pass' : 'fail';
    mark(out.paths, p.path, v);
    for (const end of [p.from, p.to]) {
      const vertex = vertexForEndpoint(model, end);
      if (vertex) mark(out.vertices, vertex, v);
    }
  }
  return out;
}
