import { renderVerifyTable } from '../../src/report/verify-table';
import { renderJunit } from '../../src/report/junit';
import { VerifyReport } from '../../src/lab/verify';

const report: VerifyReport = {
  lab: 'guide',
  ok: false,
  probes: [
    {
      path: 'pod-to-pod-same-node',
      name: 'a -> b',
      from: 'node1/a',
      to: 'node1/b',
      ok: true,
      verdict: 'pass',
      evidence: { observed: { replyTtl: 64 }, expected: { replyTtl: 64 } },
    },
    {
      path: 'pod-to-pod-cross-node',
      name: 'a -> c',
      from: 'node1/a',
      to: 'node2/c',
      ok: false,
      verdict: 'fail',
      evidence: { observed: {}, expected: {} },
      reason: 'ping: 0/3 <replies>',
    },
    {
      path: 'pod-to-service',
      name: 'affinity',
      from: 'node1/a',
      to: 'vip',
      ok: true,
      verdict: 'not applicable',
      evidence: { observed: {}, expected: { backends: 1 } },
      reason: 'one backend',
    },
  ],
  coverage: [
    { path: 'pod-to-pod-same-node', probes: 1, passed: 1, failed: 0, notApplicable: 0 },
    { path: 'pod-to-pod-cross-node', probes: 1, passed: 0, failed: 1, notApplicable: 0 },
    { path: 'pod-to-service', probes: 1, passed: 0, failed: 0, notApplicable: 1 },
    { path: 'dns', probes: 0, passed: 0, failed: 0, notApplicable: 0 },
  ],
  notCovered: [
    { path: 'pod-to-service', reason: 'every probe is not applicable: one backend' },
    { path: 'dns', reason: 'cluster DNS is off' },
  ],
};

describe('verify reports', () => {
  it('groups the table by path with counts and reasons', () => {
    const t = renderVerifyTable(report);
    expect(t).toMatch(/pod-to-pod-same-node .*\[1\/1 passed, 1 probe\]/);
    expect(t).toMatch(/FAIL {2}a -> c/);
    expect(t).toContain('why: ping: 0/3');
    expect(t).toContain('observed: replyTtl: 64');
    expect(t).toContain('expected: replyTtl: 64');
    expect(t).toMatch(/N\/A {3}affinity/);
    expect(t).toContain('not applicable: one backend');
    expect(t).toMatch(/dns .*\[0\/0 passed, 0 probes\]\n {2}not covered \(cluster DNS is off\)/);
    expect(t).toContain('1 of 3 probes failed, 1 not applicable; 2 path(s) not covered: pod-to-service, dns');
  });
  it('writes JUnit with one suite per path and escaped failures', () => {
    const x = renderJunit(report);
    expect(x.match(/<testsuite /g)).toHaveLength(3);
    expect(x).toContain('failures="1"');
    expect(x).toContain('<skipped message="not applicable: one backend"/>');
    expect(x).toContain('&lt;replies&gt;');
  });
});
