import * as path from 'path';
import { EvictionClock, NOT_READY_TOLERATION_MS } from '../../src/lab/eviction';
import { deletePod } from '../../src/lab/workload-ops';
import { loadTopology } from '../../src/topology/load';

describe('EvictionClock (taint-based eviction, DefaultNotReadyTolerationSeconds 300)', () => {
  it('a node is due once the toleration × time-scale has run since NotReady, once per NotReady spell', () => {
    expect(NOT_READY_TOLERATION_MS).toBe(300_000);
    const c = new EvictionClock(0.1);
    expect(c.tolerationMs).toBe(30_000);
    c.notReady('node2', 1000);
    c.notReady('node2', 5000); // still the first taint
    expect(c.unschedulable()).toEqual(new Set(['node2']));
    expect(c.due(30_999)).toEqual([]);
    expect(c.due(31_000)).toEqual(['node2']);
    expect(c.due(40_000)).toEqual([]);
    c.ready('node2');
    expect(c.unschedulable().size).toBe(0);
    expect(c.due(100_000)).toEqual([]);
    c.notReady('node2', 100_000);
    expect(c.due(129_999)).toEqual([]);
    expect(c.due(130_000)).toEqual(['node2']);
  });

  it('a node Ready again before the toleration ran out is never due', () => {
    const c = new EvictionClock(1);
    c.notReady('node1', 0);
    c.ready('node1');
    expect(c.due(10 * NOT_READY_TOLERATION_MS)).toEqual([]);
  });
});

describe('deletePod with NotReady nodes unschedulable (the not-ready:NoSchedule taint)', () => {
  const guide = () => loadTopology(path.resolve(__dirname, '..', '..', 'topologies', 'guide.yaml'));
  it('the replacement of an evicted Deployment pod goes to a Ready node; without the taint it may land back', () => {
    const m = guide();
    const victim = m.pods.find((p) => p.owner === 'web' && p.node === 'node2')!;
    const r = deletePod(m, victim.name, 'default', new Set(['node2']));
    expect(r.added.map((p) => p.node)).toEqual(['node1']); // node3 is excluded by the web pods' affinity
    // Without the taint the scheduler is free to pick node2 again (it has the fewest pods after the delete).
    expect(deletePod(m, victim.name, 'default').added[0].node).toBe('node2');
  });
  it('an evicted bare pod is gone, no replacement', () => {
    const r = deletePod(guide(), 'pod3', 'default', new Set(['node2']));
    expect([r.added, r.removed.map((p) => p.name)]).toEqual([[], ['pod3']]);
  });
});
