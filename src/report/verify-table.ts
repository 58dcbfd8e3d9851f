/** The verification table: every path with its probe count, each probe with what was observed apart from what was expected. */
import type { VerifyReport } from './verify-report';
import { PATHS } from '../paths';
import { renderNetpolMatrix } from './netpol-matrix';

function short(v: unknown): string {
  if (v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(short).join(',');
  if (v && typeof v === 'object')
    return Object.entries(v)
      .map(([k, x]) => `${k}=${short(x)}`)
      .join(' ');
  return String(v);
}

const fields = (o: Record<string, unknown>) =>
  Object.entries(o ?? {})
    .map(([k, v]) => `${k}: ${short(v)}`)
    .join(' | ');

export function renderVerifyTable(report: VerifyReport, color = false): string {
  const paint = (s: string, c: number) => (color ? `\x1b[${c}m${s}\x1b[0m` : s);
  const lines: string[] = [];
  const ids = report.coverage?.length
    ? report.coverage.map((c) => c.path)
    : [...new Set(report.probes.map((p) => p.path))];
  for (const id of ids) {
    const probes = report.probes.filter((p) => p.path === id);
    const passed = probes.filter((p) => p.verdict === 'pass').length;
    const title = PATHS.find((p) => p.id === id)?.title ?? '';
    const nc = report.notCovered?.find((n) => n.path === id);
    const count = probes.length === 1 ? '1 probe' : `${probes.length} probes`;
    lines.push(`${paint(id, 1)}  ${title}  [${passed}/${probes.length} passed, ${count}]`);
    if (nc) lines.push(`  ${paint('not covered', 33)} (${nc.reason})`);
    if (id === 'network-policy') {
      // The matrix stands for the cells; each probe line keeps its verdict and reason.
      lines.push(...renderNetpolMatrix(probes));
      for (const p of probes)
        lines.push(
          `  ${p.verdict === 'pass' ? paint('PASS', 32) : p.verdict === 'fail' ? paint('FAIL', 31) : paint('N/A ', 33)}  ${p.name}${p.reason ? `: ${p.reason}` : ''}`,
        );
      continue;
    }
    for (const p of probes) {
      const mark =
        p.verdict === 'pass' ? paint('PASS', 32) : p.verdict === 'fail' ? paint('FAIL', 31) : paint('N/A ', 33);
      lines.push(`  ${mark}  ${p.name}`);
      const obs = fields(p.evidence.observed);
      const exp = fields(p.evidence.expected);
      if (obs) lines.push(`        observed: ${obs}`);
      if (exp) lines.push(`        expected: ${exp}`);
      if (p.reason)
        lines.push(
          `        ${paint((p.verdict === 'fail' ? 'why: ' : 'not applicable: ') + p.reason, p.verdict === 'fail' ? 31 : 33)}`,
        );
    }
  }
  const failed = report.probes.filter((p) => p.verdict === 'fail').length;
  const na = report.probes.filter((p) => p.verdict === 'not applicable').length;
  const passed = report.probes.filter((p) => p.verdict === 'pass').length;
  const uncovered = report.notCovered?.length ?? 0;
  const tail = `${na ? `, ${na} not applicable` : ''}${uncovered ? `; ${uncovered} path(s) not covered: ${report.notCovered.map((n) => n.path).join(', ')}` : ''}`;
  lines.push('');
  lines.push(
    report.ok
      ? paint(
          `lab ${report.lab}: ${passed === report.probes.length ? `all ${passed}` : `${passed} of ${report.probes.length}`} probes passed${tail}`,
          32,
        )
      : paint(`lab ${report.lab}: ${failed} of ${report.probes.length} probes failed${tail}`, 31),
  );
  return lines.join('\n');
}
