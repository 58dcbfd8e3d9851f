/** `lab graph --format html`: one self-contained page (inline SVG from Graphviz, no scripts, no fetches). */
import { xmlEscape } from '../trace/render';
import { LabGraph } from './model';

/** The SVG `dot` wrote, without its XML prologue and DOCTYPE (not allowed inside HTML). */
export function inlineSvg(svg: string): string {
  const at = svg.indexOf('<svg');
  if (at < 0) throw new Error('no <svg> element in the Graphviz output');
  return svg.slice(at);
}

export function renderGraphHtml(g: LabGraph, svg: string): string {
  const rows = g.vertices
    .filter((v) => v.kind === 'pod' || v.kind === 'service' || v.kind === 'iface')
    .map(
      (v) =>
        `<tr class="${v.state}"><td>${v.kind}</td><td>${xmlEscape(v.lines[0])}</td><td>${xmlEscape(v.lines.slice(1).join(' · '))}</td><td>${xmlEscape(v.parent ?? '')}</td><td>${v.state}</td></tr>`,
    )
    .join('\n');
  const title = `lab ${g.lab}: topology`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${xmlEscape(title)}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; }
.graph svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-family: monospace; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
tr.down td { background: #fbd5d5; }
</style>
</head>
<body>
<h1>${xmlEscape(title)}</h1>
<p>cni ${xmlEscape(g.cni)}, kube-proxy ${xmlEscape(g.proxy)}; ${g.source === 'live' ? 'state observed on the running lab' : 'drawn from the topology file (state unknown)'}.</p>
<div class="graph">
${inlineSvg(svg)}
</div>
<table>
<thead><tr><th>kind</th><th>name</th><th>addresses</th><th>in</th><th>state</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
