/**
 * The NetworkPolicy matrix for the page (pure): the network-policy probes of a verify report as
 * the cells `lab verify --path network-policy --json` holds (expected from the oracle, observed in
 * the lab, the deciding policies), with the sources, destinations and port/protocol tables the
 * truth table prints (src/report/netpol-matrix.ts). Nothing is recomputed: only regrouped.
 */
import type { ProbeResult } from '../paths/common/types';
import type { ExpectedCell, ObservedCell } from '../paths/network-policy/probes';

export interface MatrixCell {
  from: string;
  to: string;
  port: number;
  protocol: string;
  expected: string;
  observed: string;
  deciding: string[];
  reason: string;
  droppedAt?: string;
  answeredBy?: string;
}

export interface MatrixView {
  /** `80/TCP`, one table each. */
  tables: string[];
  sources: string[];
  destinations: string[];
  cells: MatrixCell[];
  mismatches: number;
}

export function matrixView(probes: ProbeResult[]): MatrixView | undefined {
  const rows = probes.filter((p) => p.path === 'network-policy' && p.evidence.expected.cells);
  if (!rows.length) return undefined;
  const cells: MatrixCell[] = rows.flatMap((p) => {
    const exp = p.evidence.expected.cells as ExpectedCell[];
    const obs = (p.evidence.observed.cells ?? []) as ObservedCell[];
    const from = p.name.split(' -> ')[0];
    return exp.map((e, i) => ({
      from,
      to: e.to,
      port: e.port,
      protocol: e.protocol,
      expected: e.verdict,
      observed: obs[i]?.verdict ?? 'not observed',
      deciding: e.deciding,
      reason: e.reason,
      ...(obs[i]?.droppedAt ? { droppedAt: obs[i].droppedAt } : {}),
      ...(obs[i]?.answeredBy ? { answeredBy: obs[i].answeredBy } : {}),
    }));
  });
  return {
    tables: [...new Set(cells.map((c) => `${c.port}/${c.protocol}`))],
    sources: [...new Set(cells.map((c) => c.from))],
    destinations: [...new Set(cells.map((c) => c.to))],
    cells,
    mismatches: cells.filter((c) => c.expected !== c.observed).length,
  };
}
