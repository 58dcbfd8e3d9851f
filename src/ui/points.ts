/**
 * Where a trace capture point is on the drawing: `node1/pod1:eth0` is the pod, `node1:cbr0` the
 * bridge, `node1:vethXXXX` the pod that veth belongs to, `vpc:v-node1` the VPC router, `igw:*` the
 * gateway and so on. Pure, so the page animates along vertices the lab graph (src/graph) drew.
 */
import { LabModel } from '../model/types';
import { nodeGroupId, podId } from '../graph/model';

const EDGE_VERTEX: Record<string, string> = {
  igw: 'edge/igw',
  internet: 'edge/internet',
  lb: 'edge/lb',
  ingress: 'edge/ingress',
};

export function vertexForPoint(model: LabModel, point: string): string | undefined {
  const colon = point.lastIndexOf(':');
  if (colon < 0) return undefined;
  const where = point.slice(0, colon);
  const iface = point.slice(colon + 1);
  const parts = where.split('/');
  if (parts.length >= 2) {
    // node/pod or node/namespace/pod: a pod's own interface.
    const [node, a, b] = parts;
    const pod = model.pods.find((p) => p.node === node && (b ? p.namespace === a && p.name === b : p.name === a));
    return pod ? podId(pod.namespace, pod.name) : undefined;
  }
  if (where === model.vpc.name) return 'vpc/router';
  if (EDGE_VERTEX[where]) return EDGE_VERTEX[where];
  const node = model.nodes.find((n) => n.name === where);
  if (!node) return undefined;
  if (iface === 'cbr0') return `${nodeGroupId(node.name)}/cbr0`;
  const pod = model.pods.find((p) => p.node === node.name && p.hostVeth === iface);
  if (pod) return podId(pod.namespace, pod.name);
  // eth0, and the overlay device (flannel.1) that leaves by eth0.
  return `${nodeGroupId(node.name)}/eth0`;
}
