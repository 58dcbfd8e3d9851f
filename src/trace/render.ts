/**
 * Renders a TraceResult: text table (terminal), Markdown (reports), Mermaid sequence diagram,
 * and a self-contained SVG / HTML page. All pure string building, no dependencies.
 */
import type { Change, TraceHop, TraceResult } from './analyze';

const NAT_KINDS = new Set(['DNAT', 'SNAT', 'un-DNAT', 'un-SNAT']);
const ENCAP_KINDS = new Set(['encap', 'decap', 're-encap']);

export function citation(h: TraceHop): string {
  return `${h.pcap}#${h.frame}`;
}

function protoLabel(h: TraceHop): string {
  if (h.proto === 'tcp') return `TCP [${h.flags ?? ''}]`;
  if (h.proto === 'icmp') {
    if (h.icmpError) return 'ICMP error';
    return `ICMP echo ${h.direction === 'request' ? 'request' : 'reply'}${h.icmpSeq !== undefined ? ` seq ${h.icmpSeq}` : ''}`;
  }
  return 'UDP';
}

/** Participants: the path's points in order, plus any point seen off the path where it appeared. */
export function tracePoints(r: TraceResult): string[] {
  const pts = [...r.order];
  let last = -1;
  for (const h of r.hops
    .filter((x) => x.direction === 'request')
    .concat(r.hops.filter((x) => x.direction === 'reply').reverse())) {
    const i = pts.indexOf(h.point);
    if (i >= 0) last = i;
    else {
      pts.splice(last + 1, 0, h.point);
      last += 1;
    }
  }
  return pts;
}

/** Sentences about what was not seen, shared by every format. */
export function traceFindings(r: TraceResult): string[] {
  const out: string[] = [];
  if (r.hops.length === 0) out.push('the probe was not seen at any capture point');
  if (r.missing.length)
    out.push(`request not seen at: ${r.missing.join(', ')}${r.lastSeen ? ` (last seen at ${r.lastSeen})` : ''}`);
  if (r.hops.length && !r.replied) out.push('no reply seen');
  else if (r.replied) {
    // Points the request never reached are already listed; name only the reply's own gaps.
    const gaps = r.missingReply.filter((p) => !r.missing.includes(p));
    if (gaps.length) out.push(`reply not seen at: ${gaps.join(', ')}`);
  }
  if (r.notCaptured.length) out.push(`not captured: ${r.notCaptured.join(', ')}`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  return out;
}

// ---- text ----------------------------------------------------------------------------------

function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** Terminal table: n, point, src, dst, change, pcap#frame; request rows, then reply rows. */
export function renderTraceText(r: TraceResult): string {
  const out = [`trace ${r.path}${r.marker ? ` (marker ${r.marker})` : ''}`];
  const rows = r.hops.map((h) => [String(h.n), h.point, h.src, h.dst, h.change, citation(h)]);
  const firstReply = r.hops.findIndex((h) => h.direction === 'reply');
  const lines = table(['n', 'point', 'src', 'dst', 'change', 'pcap#frame'], rows);
  if (firstReply > 0) lines.splice(2 + firstReply, 0, '-- reply --');
  else if (firstReply === 0) lines.splice(2, 0, '-- reply --');
  out.push(...lines);
  for (const f of traceFindings(r)) out.push(f);
  return out.join('\n') + '\n';
}

// ---- Markdown ------------------------------------------------------------------------------

const mdCell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const mdCode = (s: string) => '`' + s.replace(/`/g, "'") + '`';

function mdChange(h: TraceHop): string {
  if (!h.changes.length) return h.change;
  return h.changes.map((c) => (NAT_KINDS.has(c.kind) || c.kind === 'icmp-error' ? `**${c.text}**` : c.text)).join(', ');
}

/** "Life of a packet": a numbered list in plain words, then the hop table. */
export function renderTraceMarkdown(r: TraceResult): string {
  const out = [`## Life of a packet: ${r.path}`, ''];
  if (r.marker) out.push(`Probe marker: ${mdCode(r.marker)}. Every line cites the capture file and frame number.`, '');
  let dir = '';
  for (const h of r.hops) {
    if (h.direction !== dir) {
      dir = h.direction;
      out.push('', dir === 'request' ? '**Request**' : '**Reply**', '');
    }
    const change = h.change === '-' ? 'first sighting' : h.change === 'none' ? 'unchanged' : mdChange(h);
    out.push(
      `${h.n}. **${h.point}**: ${protoLabel(h)} ${mdCode(`${h.src} -> ${h.dst}`)}, TTL ${h.ttl}; ${change} (${mdCode(citation(h))})`,
    );
  }
  const findings = traceFindings(r);
  if (findings.length) {
    out.push('', ...findings.map((f) => `- ${f}`));
  }
  out.push('', '| n | direction | point | src | dst | change | pcap#frame |', '|---|---|---|---|---|---|---|');
  for (const h of r.hops) {
    out.push(
      `| ${h.n} | ${h.direction} | ${mdCell(h.point)} | ${mdCell(h.src)} | ${mdCell(h.dst)} | ${mdCell(h.change)} | ${mdCell(citation(h))} |`,
    );
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n') + '\n';
}

// ---- Mermaid -------------------------------------------------------------------------------

/** Mermaid message text: `;` ends a statement and `#` starts an entity, so encode both. */
const mmText = (s: string) => s.replace(/#/g, '#35;').replace(/;/g, '#59;').replace(/\n/g, ' ');

export function renderTraceMermaid(r: TraceResult): string {
  const pts = tracePoints(r);
  const id = (p: string) => `P${pts.indexOf(p)}`;
  const out = ['sequenceDiagram'];
  for (const p of pts) out.push(`  participant ${id(p)} as ${mmText(p)}`);
  let prev: TraceHop | undefined;
  for (const h of r.hops) {
    const label = `${h.n}. ${h.src} → ${h.dst}${h.change !== '-' && h.change !== 'none' ? `<br/>${h.change}` : ''}`;
    const samePoint = !prev || prev.point === h.point;
    if (samePoint) out.push(`  Note over ${id(h.point)}: ${mmText(label)}`);
    else out.push(`  ${id(prev!.point)}${h.direction === 'reply' ? '-->>' : '->>'}${id(h.point)}: ${mmText(label)}`);
    prev = h;
  }
  for (const p of r.missing) out.push(`  Note over ${id(p)}: ✗ request not seen here`);
  if (r.hops.length && !r.replied)
    out.push(`  Note over ${id(r.lastSeen ?? r.hops[r.hops.length - 1].point)}: no reply seen`);
  return out.join('\n') + '\n';
}

// ---- SVG / HTML ----------------------------------------------------------------------------

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const FONT = 11;
const CHAR_W = 6.7; // monospace advance at 11px
const textWidth = (s: string) => s.length * CHAR_W;

function changeColor(c: Change): string {
  if (NAT_KINDS.has(c.kind)) return '#c0392b';
  if (ENCAP_KINDS.has(c.kind)) return '#1f6fb2';
  if (c.kind === 'icmp-error') return '#8e44ad';
  return '#555';
}

/** Greedy wrap of a hop's changes into lines that fit `max` pixels; each line keeps its items. */
function wrapChanges(changes: Change[], max: number): Change[][] {
  const lines: Change[][] = [];
  let cur: Change[] = [];
  let w = 0;
  for (const c of changes) {
    const cw = textWidth(c.text + ', ');
    if (cur.length && w + cw > max) {
      lines.push(cur);
      cur = [];
      w = 0;
    }
    cur.push(c);
    w += cw;
  }
  if (cur.length) lines.push(cur);
  return lines;
}

/** A sequence diagram: one lifeline per point, one arrow per hop, rewrites highlighted. */
export function renderTraceSvg(r: TraceResult): string {
  const pts = tracePoints(r);
  const longestLabel = Math.max(0, ...r.hops.map((h) => textWidth(`${h.n}. ${h.src} → ${h.dst}`)));
  const colW = Math.max(180, Math.ceil(longestLabel) + 30, ...pts.map((p) => Math.ceil(textWidth(p)) + 24));
  const margin = 20;
  const headH = 34;
  const lineH = 13;
  const top = margin + headH + 30;
  const width = margin * 2 + colW * pts.length;
  const findings = traceFindings(r);
  const x = (p: string) => margin + colW * pts.indexOf(p) + colW / 2;
  const missing = new Set(r.missing);

  // Lay out rows first: each is label above the arrow, change lines and the citation below.
  const rows = r.hops.map((h) => ({
    h,
    changeLines: h.changes.length ? wrapChanges(h.changes, colW - 20) : ([] as Change[][]),
  }));
  const rowHeight = (n: number) => 24 + lineH * (Math.max(1, n) + 1) + 6;
  let y0 = top;
  const ys = rows.map((row) => {
    const y = y0 + 14;
    y0 += rowHeight(row.changeLines.length);
    return y;
  });
  const lifeBottom = y0 + 4;
  const height = lifeBottom + 24 + 18 * findings.length + margin;

  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="${FONT}">`,
  );
  o.push(`<title>${xmlEscape(`Life of a packet: ${r.path}`)}</title>`);
  o.push('<defs>');
  o.push(
    '<marker id="arrow-req" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" ' +
      'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#222"/></marker>',
  );
  o.push(
    '<marker id="arrow-rep" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" ' +
      'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#2e7d32"/></marker>',
  );
  o.push('</defs>');
  o.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  o.push(
    `<text x="${margin}" y="${margin}" font-size="14" font-weight="bold">${xmlEscape(`Life of a packet: ${r.path}`)}</text>`,
  );
  for (const p of pts) {
    const cx = x(p);
    const miss = missing.has(p);
    const notCap = r.notCaptured.includes(p);
    o.push(`<g class="point" data-point="${xmlEscape(p)}">`);
    o.push(
      `<rect x="${cx - colW / 2 + 6}" y="${margin + 8}" width="${colW - 12}" height="${headH - 8}" rx="4" fill="${miss ? '#fdecea' : '#eef3f8'}" stroke="${miss ? '#c0392b' : '#5b7da3'}"${notCap ? ' stroke-dasharray="4 3"' : ''}/>`,
    );
    o.push(`<text x="${cx}" y="${margin + 8 + (headH - 8) / 2 + 4}" text-anchor="middle">${xmlEscape(p)}</text>`);
    o.push(
      `<line x1="${cx}" y1="${margin + headH}" x2="${cx}" y2="${lifeBottom}" stroke="#9aa" stroke-dasharray="3 3"/>`,
    );
    if (miss) o.push(`<text x="${cx}" y="${lifeBottom + 14}" text-anchor="middle" fill="#c0392b">not seen</text>`);
    else if (notCap)
      o.push(`<text x="${cx}" y="${lifeBottom + 14}" text-anchor="middle" fill="#888">not captured</text>`);
    o.push('</g>');
  }
  let prev: TraceHop | undefined;
  rows.forEach(({ h, changeLines }, i) => {
    const y = ys[i];
    const reply = h.direction === 'reply';
    const color = reply ? '#2e7d32' : '#222';
    const x2 = x(h.point);
    const moved = prev !== undefined && prev.point !== h.point;
    const x1 = moved ? x(prev!.point) : x2;
    // Text block: centred on an arrow; beside the dot for a sighting without movement
    // (to the left on the last lifeline so it stays inside the picture).
    const lastCol = pts.indexOf(h.point) === pts.length - 1 && pts.length > 1;
    const place = (w: number): number => (moved ? (x1 + x2) / 2 - w / 2 : lastCol ? x2 - 10 - w : x2 + 10);
    o.push(`<g class="hop" data-n="${h.n}" data-direction="${h.direction}" data-point="${xmlEscape(h.point)}">`);
    if (moved) {
      o.push(
        `<line class="arrow" x1="${x1}" y1="${y}" x2="${x2 + (x2 > x1 ? -4 : 4)}" y2="${y}" stroke="${color}" stroke-width="1.5"${reply ? ' stroke-dasharray="6 3"' : ''} marker-end="url(#arrow-${reply ? 'rep' : 'req'})"/>`,
      );
    }
    o.push(`<circle cx="${x2}" cy="${y}" r="4" fill="${color}"/>`);
    const label = `${h.n}. ${h.src} → ${h.dst}`;
    o.push(`<text x="${place(textWidth(label))}" y="${y - 6}" fill="${color}">${xmlEscape(label)}</text>`);
    let ly = y + 14;
    if (changeLines.length === 0) {
      o.push(`<text x="${place(textWidth(h.change))}" y="${ly}" fill="#888">${xmlEscape(h.change)}</text>`);
      ly += lineH;
    }
    changeLines.forEach((line, li) => {
      const isLast = li === changeLines.length - 1;
      const texts = line.map((c, k) => c.text + (isLast && k === line.length - 1 ? '' : ', '));
      let cx = place(textWidth(texts.join('')));
      line.forEach((c, k) => {
        const hl = NAT_KINDS.has(c.kind) || ENCAP_KINDS.has(c.kind) || c.kind === 'icmp-error';
        if (hl)
          o.push(
            `<rect class="highlight" x="${cx - 1}" y="${ly - FONT}" width="${textWidth(c.text) + 2}" height="${FONT + 3}" fill="#fff3c4"/>`,
          );
        o.push(
          `<text class="change change-${xmlEscape(c.kind)}" x="${cx}" y="${ly}" fill="${changeColor(c)}"${hl ? ' font-weight="bold"' : ''}>${xmlEscape(texts[k])}</text>`,
        );
        cx += textWidth(texts[k]);
      });
      ly += lineH;
    });
    const cite = citation(h);
    o.push(
      `<text class="cite" x="${place(textWidth(cite) * 0.82)}" y="${ly}" fill="#777" font-size="9">${xmlEscape(cite)}</text>`,
    );
    o.push('</g>');
    prev = h;
  });
  findings.forEach((f, k) => {
    o.push(`<text class="finding" x="${margin}" y="${lifeBottom + 34 + 18 * k}" fill="#c0392b">${xmlEscape(f)}</text>`);
  });
  o.push('</svg>');
  return o.join('\n') + '\n';
}

/** A standalone HTML page: the SVG diagram and the hop table. */
export function renderTraceHtml(r: TraceResult): string {
  const rows = r.hops
    .map((h) => {
      const nat = h.changes.some((c) => NAT_KINDS.has(c.kind));
      return `<tr class="${h.direction}${nat ? ' nat' : ''}"><td>${h.n}</td><td>${h.direction}</td><td>${xmlEscape(h.point)}</td><td>${xmlEscape(h.src)}</td><td>${xmlEscape(h.dst)}</td><td>${xmlEscape(h.change)}</td><td>${xmlEscape(citation(h))}</td></tr>`;
    })
    .join('\n');
  const findings = traceFindings(r)
    .map((f) => `<li>${xmlEscape(f)}</li>`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${xmlEscape(`Life of a packet: ${r.path}`)}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; }
table { border-collapse: collapse; font-family: monospace; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
tr.reply td { background: #f1f8f1; }
tr.nat td:nth-child(6) { color: #c0392b; font-weight: bold; }
.findings { color: #c0392b; }
</style>
</head>
<body>
<h1>${xmlEscape(`Life of a packet: ${r.path}`)}</h1>
${r.marker ? `<p>Probe marker <code>${xmlEscape(r.marker)}</code>. Every hop cites its capture file and frame number.</p>` : ''}
${renderTraceSvg(r)}
${findings ? `<ul class="findings">${findings}</ul>` : ''}
<table>
<thead><tr><th>n</th><th>direction</th><th>point</th><th>src</th><th>dst</th><th>change</th><th>pcap#frame</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
