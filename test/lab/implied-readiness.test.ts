import { ImpliedReadiness } from '../../src/lab/implied-readiness';

describe('ImpliedReadiness (no readinessProbe: Kubernetes defaults periodSeconds 10, failureThreshold 3)', () => {
  it('stays ready until the 3rd failed check, (failureThreshold - 1) x periodSeconds x scale after the first one seen, ready again at once', () => {
    const r = new ImpliedReadiness(0.1);
    expect(r.thresholdMs).toBe(2000);
    r.observe('p', false, 900, 1000);
    expect(r.ready('p', 2999)).toBe(true);
    expect(r.ready('p', 3000)).toBe(false);
    expect(r.nextDecision(1500)).toBe(3000);
    r.observe('p', true, 3100, 3500);
    expect(r.ready('p', 3500)).toBe(true);
    expect(r.nextDecision(3500)).toBeUndefined();
    // a new failure counts from its own first sighting
    r.observe('p', false, 4900, 5000);
    expect(r.ready('p', 6999)).toBe(true);
    expect(r.ready('p', 7000)).toBe(false);
  });
  it('never early: a failure counts from the end of the observation that saw it, however long it ran', () => {
    const r = new ImpliedReadiness(0.1);
    r.observe('p', false, 0, 2500);
    expect(r.ready('p', 4499)).toBe(true);
    expect(r.ready('p', 4500)).toBe(false);
  });
  it('a success seen by an observation that began before the failure was seen does not end it (stale)', () => {
    const r = new ImpliedReadiness(0.1);
    r.observe('p', false, 800, 1000); // the ticker saw it failing
    r.observe('p', true, 500, 1200); // the loop's observation began earlier: its success is older
    expect(r.ready('p', 4000)).toBe(false);
    r.observe('p', true, 4100, 4200); // begun after: the server answers again
    expect(r.ready('p', 4200)).toBe(true);
  });
  it('the earliest sighting counts when two observations report the same failure', () => {
    const r = new ImpliedReadiness(0.1);
    r.observe('p', false, 1500, 2000);
    r.observe('p', false, 900, 1000);
    // from 1000: not ready at 3000 (from 2000 it would be ready until 4000)
    expect(r.ready('p', 3500)).toBe(false);
  });
  it('scale 0 (lab watch --once: no history): as observed', () => {
    const r = new ImpliedReadiness(0);
    r.observe('p', false, 0, 1);
    expect(r.ready('p', 1)).toBe(false);
    r.observe('p', true, 2, 3);
    expect(r.ready('p', 3)).toBe(true);
  });
  it('says what changed, and which containers are not ready at a time (what a readiness sync compares)', () => {
    const r = new ImpliedReadiness(0.1);
    expect(r.observe('a', false, 0, 100)).toBe('failing');
    expect(r.observe('a', false, 150, 200)).toBeUndefined(); // still failing: nothing new
    expect(r.observe('b', false, 0, 1000)).toBe('failing');
    expect(r.notReady(2099)).toEqual([]);
    expect(r.notReady(2100)).toEqual(['a']);
    expect(r.notReady(3000)).toEqual(['a', 'b']);
    expect(r.observe('a', true, 50, 4100)).toBeUndefined(); // stale success: began before the failure was seen
    expect(r.observe('a', true, 4100, 4200)).toBe('answering');
    expect(r.notReady(4200)).toEqual(['b']);
    expect(r.observe('c', true, 0, 10)).toBeUndefined();
  });
});
