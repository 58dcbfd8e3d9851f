/** Choosing which pods a probe uses: pure, so the choice is testable. */
import { LabModel, PodModel } from '../model/types';

/** The port a pod serves HTTP on to other pods (not a localhost-only one). */
export function publicHttpPort(pod: PodModel): number | undefined {
  return pod.containers.find((c) => c.httpPort && c.bind !== '127.0.0.1')?.httpPort;
}

export function servingPods(model: LabModel): PodModel[] {
  return model.pods.filter((p) => publicHttpPort(p) !== undefined);
}

/** One pair of serving pods per node that holds two. */
export function sameNodePairs(model: LabModel): Array<[PodModel, PodModel]> {
  const pairs: Array<[PodModel, PodModel]> = [];
  for (const n of model.nodes) {
    const pods = servingPods(model).filter((p) => p.node === n.name);
    if (pods.length >= 2) pairs.push([pods[0], pods[1]]);
  }
  return pairs;
}

/**
 * Cross-node pairs: every ordered pair of nodes for small labs; a ring (each node to the next)
 * beyond `maxPairs`, so large labs still cover every node both ways.
 */
export function crossNodePairs(model: LabModel, maxPairs = 12): Array<[PodModel, PodModel]> {
  const first = model.nodes
    .map((n) => servingPods(model).find((p) => p.node === n.name))
    .filter((p): p is PodModel => !!p);
  const all: Array<[PodModel, PodModel]> = [];
  for (const a of first) for (const b of first) if (a.node !== b.node) all.push([a, b]);
  if (all.length <= maxPairs) return all;
  return first.map((a, i) => [a, first[(i + 1) % first.length]] as [PodModel, PodModel]);
}

/**
 * Routers a packet crosses between two pods on different nodes: both nodes, plus the VPC router
 * when the pod route lives there (vpc-routes). host-gw and vxlan go node to node.
 */
export function routersBetween(model: LabModel, a: PodModel, b: PodModel): number {
  if (a.node === b.node) return 0;
  return model.cluster.cni === 'vpc-routes' ? 3 : 2;
}
