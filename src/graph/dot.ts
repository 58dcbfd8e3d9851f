/**
 * The lab graph as Graphviz DOT: groups become nested clusters, so `dot` draws the VPC around its
 * subnets, each node around its eth0, cbr0 and pods, as the guide draws them.
 */
import { GraphEdge, GraphGroup, GraphVertex, LabGraph } from './model';
import { DOWN_FILL, KIND_FILL, STATE_COLOR } from './style';

/** A DOT double-quoted string (the only escapes DOT has are \" and line breaks). */
export function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const SHAPE: Record<GraphVertex['kind'], string> = {
  router: 'box3d',
  iface: 'box',
  bridge: 'box',
  pod: 'box',
  pods: 'box3d',
  service: 'hexagon',
  igw: 'box3d',
  internet: 'ellipse',
  lb: 'box3d',
  ingress: 'box3d',
};

const EDGE_STYLE: Record<GraphEdge['kind'], string> = {
  link: 'color="#1f4e79", penwidth=2',
  veth: 'color="#666666"',
  route: 'color="#999999", style=dotted',
  endpoint: 'color="#7b3fa0", style=dashed',
  lb: 'color="#1f4e79", style=dashed',
  ingress: 'color="#1f4e79", style=dashed',
};

function vertexLine(v: GraphVertex): string {
  const label = v.lines.join('\n') + (v.state === 'down' ? '\n(down)' : '');
  const pen = v.state === 'unknown' ? 1 : 2;
  return `${dotString(v.id)} [label=${dotString(label)}, shape=${SHAPE[v.kind]}, style=filled, fillcolor="${v.state === 'down' ? DOWN_FILL : KIND_FILL[v.kind]}", color="${STATE_COLOR[v.state]}", penwidth=${pen}];`;
}

export function renderDot(g: LabGraph): string {
  const out: string[] = [];
  out.push(`graph ${dotString(`lab ${g.lab}`)} {`);
  out.push(
    `  label=${dotString(`lab ${g.lab}: cni ${g.cni}, kube-proxy ${g.proxy} (${g.source === 'live' ? 'observed state' : 'from the topology file'})`)};`,
  );
  out.push('  labelloc=t; rankdir=LR; compound=true; newrank=true; fontname="Helvetica"; nodesep=0.25; ranksep=0.6;');
  out.push('  node [fontname="Helvetica", fontsize=10]; edge [fontname="Helvetica", fontsize=9];');
  const children = new Map<string | undefined, GraphGroup[]>();
  for (const grp of g.groups) children.set(grp.parent, [...(children.get(grp.parent) ?? []), grp]);
  const members = new Map<string | undefined, GraphVertex[]>();
  for (const v of g.vertices) members.set(v.parent, [...(members.get(v.parent) ?? []), v]);
  let n = 0;
  const emit = (parent: string | undefined, indent: string) => {
    for (const v of members.get(parent) ?? []) out.push(`${indent}${vertexLine(v)}`);
    for (const grp of children.get(parent) ?? []) {
      out.push(`${indent}subgraph ${dotString(`cluster_${n++}`)} {`);
      const color = grp.state === 'unknown' ? '#888888' : STATE_COLOR[grp.state];
      out.push(
        `${indent}  label=${dotString(grp.label + (grp.state === 'down' ? ' (down)' : ''))}; style=rounded; color="${color}";`,
      );
      emit(grp.id, `${indent}  `);
      out.push(`${indent}}`);
    }
  };
  emit(undefined, '  ');
  for (const e of g.edges) {
    const label = e.label ? `, label=${dotString(e.label)}` : '';
    out.push(`  ${dotString(e.from)} -- ${dotString(e.to)} [${EDGE_STYLE[e.kind]}${label}];`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}
