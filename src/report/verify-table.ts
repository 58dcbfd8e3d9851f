/** The verification table: probes grouped by path, each with what was observed. */
import { VerifyReport } from '../lab/verify';
import { PATHS } from '../probes/registry';

function short(v: unknown): string {
  if (v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(short).join(',');
  if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${short(x)}`).join(' ');
  return String(v);
}

export function renderVerifyTable(report: VerifyReport, color = false): string {
  const paint = (s: string, c: number) => (color ? `\x1b[${c}m${s}\x1b[0m` : s);
  const lines: string[] = [];
  const ids = [...new Set(report.probes.map((p) => p.path))];
  for (const id of ids) {
    const probes = report.probes.filter((p) => p.path === id);
    const passed = probes.filter((p) => p.ok).length;
    const title = PATHS.find((p) => p.id === id)?.title ?? '';
    lines.push(`${paint(id, 1)}  ${title}  [${passed}/${probes.length}]`);
    for (const p of probes) {
      const mark = p.ok ? paint('PASS', 32) : paint('FAIL', 31);
      lines.push(`  ${mark}  ${p.name}`);
      const ev = Object.entries(p.evidence).map(([k, v]) => `${k}: ${short(v)}`).join(' | ');
      if (ev) lines.push(`        ${ev}`);
      if (p.reason) lines.push(`        ${paint('why: ' + p.reason, 31)}`);
    }
  }
  const failed = report.probes.filter((p) => !p.ok).length;
  lines.push('');
  lines.push(
    report.ok
      ? paint(`lab ${report.lab}: all ${report.probes.length} probes passed`, 32)
      : paint(`lab ${report.lab}: ${failed} of ${report.probes.length} probes failed`, 31),
  );
  return lines.join('\n');
}
