/**
 * The NetworkPolicy truth table as the upstream netpol e2e suite prints it: one table per
 * port/protocol, rows = sources, columns = destinations, `.` allowed, `X` denied. A cell where the
 * lab differs from the oracle shows what was observed with a `!`, and is listed under the table
 * with the deciding policy.
 */
import type { ProbeResult } from '../paths/common/types';
import type { ExpectedCell, ObservedCell } from '../paths/network-policy/probes';

const mark = (v: string) => (v === 'allowed' ? '.' : v === 'denied' ? 'X' : '?');

export function renderNetpolMatrix(results: ProbeResult[]): string[] {
  const rows: Array<{ from: string; obs: ObservedCell[]; exp: ExpectedCell[] }> = [];
  for (const r of results) {
    const exp = (r.evidence.expected.cells ?? []) as ExpectedCell[];
    const obs = (r.evidence.observed.cells ?? []) as ObservedCell[];
    rows.push({ from: r.name.split(' -> ')[0], obs, exp });
  }
  if (!rows.length) return [];
  const keys = [...new Set(rows.flatMap((r) => r.exp.map((c) => `${c.port}/${c.protocol}`)))];
  const cols = [...new Set(rows.flatMap((r) => r.exp.map((c) => c.to)))];
  // Each column as wide as its heading (outside rows add long ones like `x/a via node2`).
  const widths = new Map(cols.map((c) => [c, Math.max(c.length, 2) + 1]));
  const padTo = (s: string, c: string) => s.padEnd(widths.get(c)!);
  // The first column holds the sources and the port/protocol heading.
  const w0 = Math.max(...rows.map((r) => r.from.length + 1), ...keys.map((k) => k.length + 1));
  const pad0 = (s: string) => s.padEnd(w0);
  const lines: string[] = [];
  const wrong: string[] = [];
  for (const k of keys) {
    lines.push('', `  ${pad0(k)}${cols.map((c) => padTo(c, c)).join('')}`);
    for (const r of rows) {
      const cells = cols.map((c) => {
        const i = r.exp.findIndex((e) => e.to === c && `${e.port}/${e.protocol}` === k);
        const pad = (x: string) => padTo(x, c);
        if (i < 0) return pad('');
        const e = r.exp[i];
        const o = r.obs[i];
        if (!o) return pad(`${mark(e.verdict)}?`);
        if (o.verdict === e.verdict) return pad(mark(o.verdict));
        wrong.push(
          `  ! ${r.from} -> ${c} ${k}: expected ${e.verdict}${e.deciding.length ? ` by ${e.deciding.join(', ')}` : ''} (${e.reason}), observed ${o.verdict}${o.droppedAt ? `, dropped at ${o.droppedAt}` : ''}${o.error ? ` (${o.error})` : ''}`,
        );
        return pad(`${mark(o.verdict)}!`);
      });
      lines.push(`  ${pad0(r.from)}${cells.join('')}`);
    }
  }
  const total = rows.reduce((n, r) => n + r.exp.length, 0);
  lines.push('', `  ${total} cells, ${wrong.length} differ from the oracle${wrong.length ? ':' : ''}`, ...wrong);
  return lines;
}
