import { parseTimings, renderTimings, Timings } from '../../src/lab/timings';

describe('Timings', () => {
  it('marks consecutive phases with the time since the previous mark', () => {
    const clock = [1000, 1250, 1260, 2260];
    const t = new Timings(() => clock.shift()!);
    t.mark('containers', '7 started');
    t.mark('links');
    t.mark('pods');
    expect(t.phases).toEqual([
      { phase: 'containers', ms: 250, detail: '7 started' },
      { phase: 'links', ms: 10 },
      { phase: 'pods', ms: 1000 },
    ]);
    expect(t.total()).toBe(1260);
  });

  it('renders a table the bench reads back (phases only, not the sum or wall lines)', () => {
    const phases = [
      { phase: 'proxy sync', ms: 300, detail: '11 services' },
      { phase: 'pod-to-pod-cross-node', ms: 700 },
    ];
    const text = renderTimings('timings of up', phases, 900);
    expect(text).toContain('proxy sync');
    expect(text).toMatch(/sum +1000 ms/);
    expect(text).toMatch(/wall +900 ms/);
    expect(text).toMatch(/proxy sync +300 ms +30%/);
    expect(parseTimings(`[lab] noise\n${text}\nlab: all 3 probes passed`)).toEqual(phases);
  });
});
