import { ImpliedReadiness } from '../../src/lab/implied-readiness';

describe('ImpliedReadiness (no readinessProbe: Kubernetes defaults 3 x 10 s)', () => {
  it('stays ready until failing for failureThreshold x periodSeconds x scale, ready again at once', () => {
    const r = new ImpliedReadiness(0.1);
    expect(r.thresholdMs).toBe(3000);
    expect(r.ready('p', false, 1000)).toBe(true);
    expect(r.ready('p', false, 3999)).toBe(true);
    expect(r.ready('p', false, 4000)).toBe(false);
    expect(r.ready('p', true, 4500)).toBe(true);
    // a new failure counts from its own start
    expect(r.ready('p', false, 5000)).toBe(true);
    expect(r.ready('p', false, 7999)).toBe(true);
  });
  it('scale 0 (lab watch --once: no history): as observed', () => {
    const r = new ImpliedReadiness(0);
    expect(r.ready('p', false, 1)).toBe(false);
    expect(r.ready('p', true, 2)).toBe(true);
  });
});
