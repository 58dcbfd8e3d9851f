import { faultEvents, renderEventJson, renderTimelineLine } from '../../src/report/timeline';

describe('timeline', () => {
  it('prints each event relative to the fault', () => {
    expect(renderTimelineLine({ kind: 'node-not-ready', at: 5210, node: 'node2', detail: 'no heartbeat' }, 1000)).toBe(
      '   +4.21s  node-not-ready      node2    no heartbeat',
    );
    expect(renderTimelineLine({ kind: 'endpoint-not-ready', at: 500, detail: 'x' }, 1000)).toMatch(
      /^ +-0\.50s {2}endpoint-not-ready +- +x$/,
    );
    expect(JSON.parse(renderEventJson({ kind: 'rules-synced', at: 3000, node: 'node1', detail: 'd' }, 1000))).toEqual({
      kind: 'rules-synced',
      at: 3000,
      node: 'node1',
      detail: 'd',
      time: new Date(3000).toISOString(),
      sinceFaultMs: 2000,
    });
  });
  it('turns fault records into injected/cleared events once each', () => {
    const seen = new Set<string>();
    const f = { id: 'f1', kind: 'node-freeze', target: 'node2', injectedAt: '2026-01-01T00:00:01.000Z' };
    expect(faultEvents({ active: [f], cleared: [] }, seen).map((e) => `${e.kind} ${e.detail}`)).toEqual([
      'fault-injected f1 node-freeze node2',
    ]);
    expect(faultEvents({ active: [f], cleared: [] }, seen)).toEqual([]);
    const ev = faultEvents({ active: [], cleared: [{ ...f, clearedAt: '2026-01-01T00:00:09.000Z' }] }, seen);
    expect(ev).toEqual([
      {
        kind: 'fault-cleared',
        at: Date.parse('2026-01-01T00:00:09.000Z'),
        node: 'node2',
        detail: 'f1 node-freeze node2',
      },
    ]);
  });
});
