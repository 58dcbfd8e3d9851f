import { coverageOf, runProbes, verifyLab } from '../../src/lab/verify';
import { PATHS } from '../../src/paths';
import { fixtureModel } from '../fixtures/model';
import { fakeRunner } from '../fixtures/fake-runner';
import { notApplicable, probe } from '../../src/observe/probe';

describe('coverage: every path with its probe count, uncovered ones with the reason', () => {
  const m = fixtureModel();
  it('lists a path the lab yields no probe for as not covered, with why', () => {
    const { coverage, notCovered } = coverageOf(m, PATHS, []);
    expect(coverage.map((c) => c.path)).toEqual(PATHS.map((p) => p.id));
    expect(notCovered.find((n) => n.path === 'ingress-to-service')).toEqual({
      path: 'ingress-to-service',
      reason: 'the lab has no edge (no ingress, no Internet host)',
    });
    expect(notCovered.find((n) => n.path === 'pod-to-internet')?.reason).toMatch(/no edge/);
  });
  it('a path whose probes are all not applicable is not covered either', async () => {
    const meta = { path: 'pod-to-service', name: 'affinity', from: 'a', to: 'b' };
    const results = await runProbes(
      [notApplicable(meta, 'one backend')],
      fakeRunner(() => ({})),
    );
    const { coverage, notCovered } = coverageOf(
      m,
      PATHS.filter((p) => p.id === 'pod-to-service'),
      results,
    );
    expect(coverage).toEqual([{ path: 'pod-to-service', probes: 1, passed: 0, failed: 0, notApplicable: 1 }]);
    expect(notCovered).toEqual([{ path: 'pod-to-service', reason: 'every probe is not applicable: one backend' }]);
  });
  it('a probe that throws is a failure with its message; a lab with no pass is not ok', async () => {
    const meta = { path: 'x', name: 'x', from: 'a', to: 'b' };
    const [r] = await runProbes(
      [
        probe(
          meta,
          async () => {
            throw new Error('boom');
          },
          () => undefined,
        ),
      ],
      fakeRunner(() => ({})),
    );
    expect(r).toMatchObject({ verdict: 'fail', ok: false, reason: 'probe error: boom' });
  });
  it('verifyLab reports coverage and notCovered for the chosen paths only', async () => {
    const rep = await verifyLab(
      m,
      ['ingress-to-service'],
      fakeRunner(() => ({})),
    );
    expect(rep.probes).toEqual([]);
    expect(rep.ok).toBe(false);
    expect(rep.notCovered.map((n) => n.path)).toEqual(['ingress-to-service']);
  });
  it("network-policy stays out of a policy-free lab's coverage unless asked for", async () => {
    const all = await verifyLab(
      m,
      PATHS.filter((p) => p.id !== 'network-policy')
        .map((p) => p.id)
        .slice(0, 0),
      fakeRunner(() => ({ exitCode: 1 })),
    );
    expect(all.coverage.map((c) => c.path)).not.toContain('network-policy');
    expect(all.notCovered.map((n) => n.path)).not.toContain('network-policy');
    const asked = await verifyLab(
      m,
      ['network-policy'],
      fakeRunner(() => ({})),
    );
    expect(asked.notCovered).toEqual([
      {
        path: 'network-policy',
        reason: 'no NetworkPolicy objects: every pod reaches every other (the pod-to-pod paths prove it)',
      },
    ]);
  });
});
