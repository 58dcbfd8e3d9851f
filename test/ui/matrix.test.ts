import { matrixView } from '../../src/ui/matrix';
import type { ProbeResult } from '../../src/paths/common/types';

const cell = (to: string, port: number, protocol: string, verdict: string, deciding: string[] = []) => ({
  to,
  port,
  protocol,
  verdict,
  deciding,
  reason: 'r',
});

const probe = (
  from: string,
  exp: ReturnType<typeof cell>[],
  obs: Array<{ verdict: string; droppedAt?: string }>,
): ProbeResult => ({
  path: 'network-policy',
  name: `${from} -> ${exp.length} cells`,
  from: 'node1/x/a',
  to: '2 pods',
  ok: true,
  verdict: 'pass',
  evidence: { expected: { cells: exp }, observed: { cells: obs.map((o, i) => ({ ...exp[i], ...o })) } },
});

describe('NetworkPolicy matrix for the page', () => {
  it('regroups the verify cells (expected, observed, deciding) into tables per port/protocol, counting mismatches', () => {
    const m = matrixView([
      probe(
        'x/a',
        [
          cell('x/a', 80, 'TCP', 'allowed'),
          cell('x/b', 80, 'TCP', 'denied', ['x/deny']),
          cell('x/b', 81, 'UDP', 'denied', ['x/deny']),
        ],
        [{ verdict: 'allowed' }, { verdict: 'denied', droppedAt: 'node2 ingress (1 pkt)' }, { verdict: 'allowed' }],
      ),
      { ...probe('x/b', [], []), path: 'pod-to-pod-same-node' },
    ])!;
    expect(m.tables).toEqual(['80/TCP', '81/UDP']);
    expect(m.sources).toEqual(['x/a']);
    expect(m.destinations).toEqual(['x/a', 'x/b']);
    expect(m.cells).toHaveLength(3);
    expect(m.cells[1]).toMatchObject({
      from: 'x/a',
      to: 'x/b',
      expected: 'denied',
      observed: 'denied',
      deciding: ['x/deny'],
      droppedAt: 'node2 ingress (1 pkt)',
    });
    expect(m.mismatches).toBe(1);
    expect(m.cells[2]).toMatchObject({ expected: 'denied', observed: 'allowed' });
  });

  it('a cell without an observation is not observed (a mismatch), and a report without the path has no matrix', () => {
    const m = matrixView([probe('x/a', [cell('x/b', 80, 'TCP', 'denied')], [])])!;
    expect(m.cells[0].observed).toBe('not observed');
    expect(m.mismatches).toBe(1);
    expect(matrixView([])).toBeUndefined();
  });
});
