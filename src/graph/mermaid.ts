/**
 * The lab graph as a Mermaid flowchart: groups become nested subgraphs. Mermaid ids are limited to
 * word characters, so each vertex and group gets a short generated id; labels are quoted strings
 * in which `"` is written as the entity #quot; (Mermaid's own escape).
 */
import { GraphEdge, GraphGroup, GraphVertex, LabGraph } from './model';
import { KIND_FILL } from './style';

export function mermaidText(s: string): string {
  return s.replace(/"/g, '#quot;').replace(/[<>]/g, (c) => (c === '<' ? '#lt;' : '#gt;'));
}

const SHAPE: Record<GraphVertex['kind'], [string, string]> = {
  router: ['[[', ']]'],
  iface: ['[', ']'],
  bridge: ['[', ']'],
  pod: ['(', ')'],
  pods: ['[(', ')]'],
  service: ['{{', '}}'],
  igw: ['[[', ']]'],
  internet: ['((', '))'],
  lb: ['[[', ']]'],
  ingress: ['[[', ']]'],
};

const ARROW: Record<GraphEdge['kind'], string> = {
  link: '===',
  veth: '---',
  route: '-.-',
  endpoint: '-.->',
  lb: '-.->',
  ingress: '-.->',
};

export function renderMermaid(g: LabGraph): string {
  const ids = new Map<string, string>();
  const idOf = (key: string, prefix: string) => {
    if (!ids.has(key)) ids.set(key, `${prefix}${ids.size}`);
    return ids.get(key)!;
  };
  const out: string[] = ['flowchart LR'];
  const children = new Map<string | undefined, GraphGroup[]>();
  for (const grp of g.groups) children.set(grp.parent, [...(children.get(grp.parent) ?? []), grp]);
  const members = new Map<string | undefined, GraphVertex[]>();
  for (const v of g.vertices) members.set(v.parent, [...(members.get(v.parent) ?? []), v]);
  const emit = (parent: string | undefined, indent: string) => {
    for (const v of members.get(parent) ?? []) {
      const [open, close] = SHAPE[v.kind];
      const text = [...v.lines, ...(v.state === 'down' ? ['(down)'] : [])].map(mermaidText).join('<br/>');
      out.push(`${indent}${idOf(`v:${v.id}`, 'v')}${open}"${text}"${close}`);
      // `class a,b c` names several vertices, not several classes: one statement per class.
      out.push(`${indent}class ${idOf(`v:${v.id}`, 'v')} ${v.kind}`);
      if (v.state !== 'unknown') out.push(`${indent}class ${idOf(`v:${v.id}`, 'v')} ${v.state}`);
    }
    for (const grp of children.get(parent) ?? []) {
      out.push(
        `${indent}subgraph ${idOf(`g:${grp.id}`, 'g')}["${mermaidText(grp.label)}${grp.state === 'down' ? ' (down)' : ''}"]`,
      );
      emit(grp.id, `${indent}  `);
      out.push(`${indent}end`);
    }
  };
  emit(undefined, '  ');
  for (const e of g.edges) {
    const label = e.label ? `|"${mermaidText(e.label)}"|` : '';
    out.push(`  ${idOf(`v:${e.from}`, 'v')} ${ARROW[e.kind]}${label} ${idOf(`v:${e.to}`, 'v')}`);
  }
  for (const [kind, fill] of Object.entries(KIND_FILL)) out.push(`  classDef ${kind} fill:${fill},stroke:#555`);
  out.push('  classDef running stroke:#2e7d32,stroke-width:2px');
  out.push('  classDef down fill:#fbd5d5,stroke:#c62828,stroke-width:2px');
  return out.join('\n') + '\n';
}
