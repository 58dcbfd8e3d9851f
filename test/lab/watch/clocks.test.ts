import { watchClocks } from '../../../src/lab/watch/clocks';

describe('watchClocks', () => {
  it('at time-scale 0.1: lease 1 s, check 0.5 s, NotReady 5 s, readiness checked every 1 s, not ready after 3 failures, eviction 30 s after NotReady', () => {
    const l = watchClocks(0.1, true);
    expect(l).toContain('renewed every 1.0s');
    expect(l).toContain('checked every 0.5s');
    expect(l).toContain('NotReady 5.0s after the last renewal');
    expect(l).toContain('readiness without a probe: checked every 1.0s, not ready after 3 failed checks in a row');
    expect(l).toMatch(/eviction on: pods of a node NotReady for 30\.0s are evicted/);
  });
  it('with --no-eviction says eviction is off, at Kubernetes’ own timings at scale 1', () => {
    const l = watchClocks(1, false);
    expect(l).toContain('NotReady 50.0s after');
    expect(l).toContain('eviction off');
    expect(l).not.toContain('eviction on');
  });
});
