/**
 * The lab as a picture, before any drawing: groups (VPC, subnets, nodes, Services, the Internet
 * edge) holding vertices (interfaces, bridges, pods, Services, edge hosts) joined by edges (links,
 * veths, endpoints). Pure: built from the lab model alone, with the observed state of a running
 * lab (`lab status`) laid over it when given. The renderers (dot.ts, mermaid.ts) only draw this.
 */
import { LabModel, ServiceModel } from '../model/types';
import { computeEndpoints } from '../proxy/endpoints';
import { hasIngress, ingressRoutes } from '../ingress/parse';
import { backendLabel, BackendRef } from '../ingress/types';
import type { StatusReport } from '../report/status-report';

/** Observed state of a vertex or group: `unknown` when the picture comes from a file alone. */
export type LiveState = 'running' | 'down' | 'unknown';

export type GroupKind = 'vpc' | 'subnet' | 'node' | 'services' | 'edge';
export type VertexKind =
  | 'router'
  | 'iface'
  | 'bridge'
  | 'pod'
  | 'pods'
  | 'service'
  | 'igw'
  | 'internet'
  | 'lb'
  | 'ingress';
export type EdgeKind = 'link' | 'veth' | 'route' | 'endpoint' | 'lb' | 'ingress';

export interface GraphGroup {
  id: string;
  label: string;
  kind: GroupKind;
  parent?: string;
  state: LiveState;
}

export interface GraphVertex {
  id: string;
  /** First line is the name; the rest are addresses. */
  lines: string[];
  kind: VertexKind;
  parent?: string;
  state: LiveState;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
}

export interface LabGraph {
  lab: string;
  /** Where the state came from: the model alone (`file`) or a running lab (`live`). */
  source: 'file' | 'live';
  cni: string;
  proxy: string;
  /** Parents come before their children. */
  groups: GraphGroup[];
  vertices: GraphVertex[];
  edges: GraphEdge[];
}

/** How many pods a node may show before they are drawn as one box (lab ui; lab graph draws them all). */
export interface CollapseOptions {
  /** Nodes with more pods than this show one `N pods` box instead; absent: never. */
  above?: number;
  /** Nodes whose pods are shown whatever their number. */
  expanded?: ReadonlySet<string>;
}

/** The one box standing for a collapsed node's pods. */
export const collapsedPodsId = (node: string) => `${nodeGroupId(node)}/pods`;
export const podId = (namespace: string, name: string) => `pod/${namespace}/${name}`;
export const serviceId = (namespace: string, name: string) => `svc/${namespace}/${name}`;
export const nodeGroupId = (node: string) => `node/${node}`;

function servicePorts(s: ServiceModel): string {
  return s.ports.map((p) => `${p.port}/${p.protocol}${p.nodePort ? ` node:${p.nodePort}` : ''}`).join(', ');
}

function serviceLines(s: ServiceModel): string[] {
  const name = `${s.namespace === 'default' ? '' : `${s.namespace}/`}${s.name}`;
  if (s.type === 'ExternalName') return [name, `ExternalName ${s.externalName ?? ''}`];
  const vip = s.clusterIP === 'None' ? 'headless' : s.clusterIP;
  const lines = [name, `${s.type} ${vip}`];
  if (s.ports.length) lines.push(servicePorts(s));
  if (s.loadBalancerIP) lines.push(`external ${s.loadBalancerIP}`);
  return lines;
}

/**
 * Edges point the way traffic comes in (Internet -> gateway -> VPC router -> eth0 -> cbr0 -> pod),
 * which is also the order `dot` ranks them left to right.
 *
 * The picture of a lab. With `status` (from labStatus on a running lab) each container and pod
 * carries what was observed; without it every state is `unknown` (never assumed running).
 */
export function labGraph(model: LabModel, status?: StatusReport, collapse: CollapseOptions = {}): LabGraph {
  const containerState = (container: string): LiveState => {
    if (!status) return 'unknown';
    return status.containers.find((c) => c.container === container)?.state === 'running' ? 'running' : 'down';
  };
  const podState = (namespace: string, name: string): LiveState => {
    if (!status) return 'unknown';
    return status.pods.find((p) => p.namespace === namespace && p.name === name)?.running ? 'running' : 'down';
  };
  const groups: GraphGroup[] = [];
  const vertices: GraphVertex[] = [];
  const edges: GraphEdge[] = [];

  groups.push({ id: 'vpc', label: 'VPC', kind: 'vpc', state: containerState(model.vpc.container) });
  vertices.push({
    id: 'vpc/router',
    lines: ['VPC router', ...model.subnets.map((s) => `${s.gateway} (${s.name})`)],
    kind: 'router',
    parent: 'vpc',
    state: containerState(model.vpc.container),
  });
  for (const s of model.subnets)
    groups.push({
      id: `subnet/${s.name}`,
      label: `${s.name} ${s.cidr}`,
      kind: 'subnet',
      parent: 'vpc',
      state: 'unknown',
    });

  for (const n of model.nodes) {
    const g = nodeGroupId(n.name);
    // A node whose container runs without its links (status says broken) is down, not running.
    const state =
      status?.nodes?.find((x) => x.name === n.name)?.state === 'broken' ? 'down' : containerState(n.container);
    groups.push({ id: g, label: n.name, kind: 'node', parent: `subnet/${n.subnet}`, state });
    vertices.push({
      id: `${g}/eth0`,
      lines: ['eth0', `${n.ip}/${n.prefixLen}`, ...(n.publicIP ? [`public ${n.publicIP}`] : [])],
      kind: 'iface',
      parent: g,
      state,
    });
    vertices.push({ id: `${g}/cbr0`, lines: ['cbr0', `${n.cbr0IP} (${n.podCIDR})`], kind: 'bridge', parent: g, state });
    edges.push({ from: `${g}/eth0`, to: `${g}/cbr0`, kind: 'route', label: model.cluster.cni });
    edges.push({ from: 'vpc/router', to: `${g}/eth0`, kind: 'link' });
  }
  const podsOn = new Map<string, number>();
  for (const p of model.pods) podsOn.set(p.node, (podsOn.get(p.node) ?? 0) + 1);
  const collapsed = new Set(
    [...podsOn]
      .filter(([node, k]) => collapse.above !== undefined && k > collapse.above && !collapse.expanded?.has(node))
      .map(([node]) => node),
  );
  // Where a pod is drawn: its own box, or its node's `N pods` box.
  const drawnAt = (namespace: string, name: string, node: string) =>
    collapsed.has(node) ? collapsedPodsId(node) : podId(namespace, name);
  for (const node of collapsed) {
    const pods = model.pods.filter((p) => p.node === node);
    const running = pods.filter((p) => podState(p.namespace, p.name) === 'running').length;
    const lines = [
      `${pods.length} pods`,
      `${pods[0].ip} … ${pods[pods.length - 1].ip}`,
      status ? `${running} running` : 'click to show',
    ];
    const state: LiveState = !status ? 'unknown' : running === pods.length ? 'running' : 'down';
    vertices.push({ id: collapsedPodsId(node), lines, kind: 'pods', parent: nodeGroupId(node), state });
    edges.push({
      from: `${nodeGroupId(node)}/cbr0`,
      to: collapsedPodsId(node),
      kind: 'veth',
      label: `${pods.length} veths`,
    });
  }
  for (const p of model.pods) {
    if (collapsed.has(p.node)) continue;
    const id = podId(p.namespace, p.name);
    const name = `${p.namespace === 'default' ? '' : `${p.namespace}/`}${p.name}`;
    vertices.push({
      id,
      lines: [name, p.ip],
      kind: 'pod',
      parent: nodeGroupId(p.node),
      state: podState(p.namespace, p.name),
    });
    edges.push({ from: `${nodeGroupId(p.node)}/cbr0`, to: id, kind: 'veth' });
  }

  if (model.services.length) {
    groups.push({
      id: 'services',
      label: `Services (kube-proxy ${model.cluster.proxy})`,
      kind: 'services',
      state: 'unknown',
    });
    for (const s of model.services)
      vertices.push({
        id: serviceId(s.namespace, s.name),
        lines: serviceLines(s),
        kind: 'service',
        parent: 'services',
        state: 'unknown',
      });
    // One edge per (Service, pod), its target ports joined: the endpoints the model selects.
    const byPair = new Map<string, { from: string; to: string; ports: Set<number>; pods: Set<string> }>();
    for (const slice of computeEndpoints(model)) {
      const svc = model.services.find((s) => s.namespace === slice.namespace && s.name === slice.service);
      for (const e of slice.endpoints) {
        const from = serviceId(slice.namespace, slice.service);
        const to = drawnAt(svc?.namespace ?? slice.namespace, e.podName, e.node);
        const k = `${from}\n${to}`;
        if (!byPair.has(k)) byPair.set(k, { from, to, ports: new Set(), pods: new Set() });
        byPair.get(k)!.ports.add(e.port);
        byPair.get(k)!.pods.add(e.podName);
      }
    }
    for (const { from, to, ports, pods } of byPair.values()) {
      // Into a collapsed box: one edge per Service, saying how many of the node's pods it picks.
      const count = to.endsWith('/pods') ? `${pods.size} endpoints ` : '';
      edges.push({ from, to, kind: 'endpoint', label: `${count}:${[...ports].sort((a, b) => a - b).join(',')}` });
    }
  }

  if (model.edge) {
    const e = model.edge;
    groups.push({ id: 'edge', label: 'Internet edge', kind: 'edge', state: 'unknown' });
    vertices.push({
      id: 'edge/igw',
      lines: ['Internet gateway', `${e.igw.ip} / ${e.igw.internetIP}`, `NAT ${e.natIP}`],
      kind: 'igw',
      parent: 'edge',
      state: containerState(e.igw.container),
    });
    vertices.push({
      id: 'edge/internet',
      lines: ['Internet host', e.internet.ip],
      kind: 'internet',
      parent: 'edge',
      state: containerState(e.internet.container),
    });
    vertices.push({
      id: 'edge/lb',
      lines: ['load balancer', e.lb.ip, `pool ${e.loadBalancerPool}`],
      kind: 'lb',
      parent: 'edge',
      state: containerState(e.lb.container),
    });
    edges.push({ from: 'edge/internet', to: 'edge/igw', kind: 'link', label: e.internetCIDR });
    edges.push({ from: 'edge/igw', to: 'vpc/router', kind: 'link', label: `${e.igw.vpcIP}` });
    edges.push({ from: 'vpc/router', to: 'edge/lb', kind: 'link', label: `${e.lb.vpcIP}` });
    for (const s of model.services) {
      if (s.type === 'LoadBalancer' && s.loadBalancerIP)
        edges.push({ from: 'edge/lb', to: serviceId(s.namespace, s.name), kind: 'lb', label: s.loadBalancerIP });
    }
    if (hasIngress(model)) {
      vertices.push({
        id: 'edge/ingress',
        lines: ['ingress', e.ingress.ip, `public ${e.ingressIP}`],
        kind: 'ingress',
        parent: 'edge',
        state: containerState(e.ingress.container),
      });
      edges.push({ from: 'vpc/router', to: 'edge/ingress', kind: 'link', label: `${e.ingress.vpcIP}` });
      const backends = new Map<string, BackendRef>();
      const r = ingressRoutes(model);
      for (const h of r.hosts) for (const p of h.paths) backends.set(backendLabel(p.backend), p.backend);
      if (r.defaultBackend) backends.set(backendLabel(r.defaultBackend.backend), r.defaultBackend.backend);
      for (const [label, b] of backends)
        edges.push({
          from: 'edge/ingress',
          to: serviceId(b.namespace, b.service),
          kind: 'ingress',
          label: label.slice(label.indexOf(':')),
        });
    }
  }
  return {
    lab: model.name,
    source: status ? 'live' : 'file',
    cni: model.cluster.cni,
    proxy: model.cluster.proxy,
    groups,
    vertices,
    edges,
  };
}
