/** `lab fault list` as a table, pure. */
import type { FaultRecord } from './render';

export function renderFaultList(active: FaultRecord[], now: Date): string {
  if (active.length === 0) return 'no active fault';
  const rows = [
    ['ID', 'KIND', 'TARGET', 'AGE', 'WHAT'],
    ...active.map((f) => [
      f.id,
      f.kind,
      f.peer ? `${f.target} | ${f.peer}` : f.target,
      `${Math.round((now.getTime() - Date.parse(f.injectedAt)) / 1000)}s`,
      f.detail,
    ]),
  ];
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('  ')).join('\n');
}
