import type { ContainerProbes, ProbeSpec } from '../../src/model/probe';
import { dueProbes, newProbeState, probeReady, recordProbe } from '../../src/lab/prober';

const spec = (over: Partial<ProbeSpec> = {}): ProbeSpec => ({
  handler: { httpGet: { path: '/', port: 8080, scheme: 'HTTP', headers: [] } },
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
  ...over,
});

describe('the lab kubelet prober (pkg/kubelet/prober worker semantics)', () => {
  it('readiness: not ready until the first success; not ready again only after failureThreshold failures in a row', () => {
    const p: ContainerProbes = { readiness: spec() };
    const st = newProbeState(p, 0);
    expect(probeReady(p, st)).toBe(false);
    recordProbe(p, st, 'readiness', true, 'HTTP-200', 0);
    expect(probeReady(p, st)).toBe(true);
    recordProbe(p, st, 'readiness', false, 'HTTP-503', 10_000);
    recordProbe(p, st, 'readiness', false, 'HTTP-503', 20_000);
    expect(probeReady(p, st)).toBe(true); // 2 < failureThreshold 3
    recordProbe(p, st, 'readiness', false, 'HTTP-503', 30_000);
    expect(probeReady(p, st)).toBe(false);
  });

  it('readiness successThreshold 2: two successes in a row', () => {
    const p: ContainerProbes = { readiness: spec({ successThreshold: 2 }) };
    const st = newProbeState(p, 0);
    recordProbe(p, st, 'readiness', true, '', 0);
    expect(probeReady(p, st)).toBe(false);
    recordProbe(p, st, 'readiness', true, '', 1);
    expect(probeReady(p, st)).toBe(true);
  });

  it('liveness: a restart after failureThreshold failures in a row, not before', () => {
    const p: ContainerProbes = { liveness: spec({ failureThreshold: 2 }) };
    const st = newProbeState(p, 0);
    expect(recordProbe(p, st, 'liveness', false, 'HTTP-503', 0)).toBeUndefined();
    expect(recordProbe(p, st, 'liveness', true, 'HTTP-200', 1)).toBeUndefined();
    expect(recordProbe(p, st, 'liveness', false, 'HTTP-503', 2)).toBeUndefined();
    expect(recordProbe(p, st, 'liveness', false, 'HTTP-503', 3)).toEqual({
      restart: 'liveness probe failed 2 times (HTTP-503)',
    });
    expect(probeReady(p, st)).toBeUndefined(); // no readiness probe: the lab's default readiness applies
  });

  it('period and initial delay decide when a probe is due', () => {
    const p: ContainerProbes = { readiness: spec({ initialDelaySeconds: 5, periodSeconds: 2 }) };
    const st = newProbeState(p, 1000);
    expect(dueProbes(p, st, 5999)).toEqual([]);
    expect(dueProbes(p, st, 6000)).toEqual(['readiness']);
    recordProbe(p, st, 'readiness', true, '', 6000);
    expect(dueProbes(p, st, 7999)).toEqual([]);
    expect(dueProbes(p, st, 8000)).toEqual(['readiness']);
  });

  it('startup gates liveness and readiness, and restarts when it gives up', () => {
    const p: ContainerProbes = { startup: spec({ failureThreshold: 2 }), liveness: spec(), readiness: spec() };
    const st = newProbeState(p, 0);
    expect(dueProbes(p, st, 0)).toEqual(['startup']);
    expect(probeReady(p, st)).toBe(false);
    recordProbe(p, st, 'startup', true, '', 0);
    expect(dueProbes(p, st, 0)).toEqual(['liveness', 'readiness']);
    const again = newProbeState(p, 0);
    recordProbe(p, again, 'startup', false, 'exit-1', 0);
    expect(recordProbe(p, again, 'startup', false, 'exit-1', 10_000)).toEqual({
      restart: 'startup probe failed 2 times (exit-1)',
    });
  });
});
