import { ImpliedReadiness } from '../../src/lab/implied-readiness';

describe('ImpliedReadiness (no readinessProbe: Kubernetes defaults 3 x 10 s)', () => {
  it('stays ready until failing for failureThreshold x periodSeconds x scale, ready again at once', () => {
    const r = new ImpliedReadiness(0.1);
    expect(r.thresholdMs).toBe(3000);
    expect(r.ready('p', false, 1000)).toBe(true);
    expect(r.ready('p', false, 3999)).toBe(true);
    expect(r.ready('p', false, 4000)).toBe(false);
    expect(r.ready('p', true, 4500)).toBe(true);
    // a new failure counts from the last success (4.5 s), as probes every period would:
    // failures at 5.5, 6.5, 7.5 s make Ready=False at 7.5 s
    expect(r.ready('p', false, 5000)).toBe(true);
    expect(r.ready('p', false, 7499)).toBe(true);
    expect(r.ready('p', false, 7500)).toBe(false);
  });
  it('observations far apart (a slow loop): not ready at the first failure seen 3 periods after the last success', () => {
    const r = new ImpliedReadiness(0.1);
    expect(r.ready('p', true, 0)).toBe(true);
    // the server fails from 0.5 s; the next observation begins only at 4 s
    expect(r.ready('p', false, 4000)).toBe(false);
    // but one begun 2.9 s after the last success is not enough, however late it ends
    expect(r.ready('q', true, 0)).toBe(true);
    expect(r.ready('q', false, 2900)).toBe(true);
  });
  it('an observation that began before a later success does not move the last success back', () => {
    const r = new ImpliedReadiness(0.1);
    r.ready('p', true, 5000);
    r.ready('p', true, 1000);
    expect(r.ready('p', false, 7000)).toBe(true);
    expect(r.ready('p', false, 8000)).toBe(false);
  });
  it('scale 0 (lab watch --once: no history): as observed', () => {
    const r = new ImpliedReadiness(0);
    expect(r.ready('p', false, 1)).toBe(false);
    expect(r.ready('p', true, 2)).toBe(true);
  });
});
