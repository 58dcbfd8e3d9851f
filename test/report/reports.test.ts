import { renderVerifyTable } from '../../src/report/verify-table';
import { renderJunit } from '../../src/report/junit';
import { VerifyReport } from '../../src/lab/verify';

const report: VerifyReport = {
  lab: 'guide',
  ok: false,
  probes: [
    { path: 'pod-to-pod-same-node', name: 'a -> b', from: 'node1/a', to: 'node1/b', ok: true, evidence: { replyTtl: 64 } },
    { path: 'pod-to-pod-cross-node', name: 'a -> c', from: 'node1/a', to: 'node2/c', ok: false, evidence: {}, reason: 'ping: 0/3 <replies>' },
  ],
};

describe('verify reports', () => {
  it('groups the table by path with counts and reasons', () => {
    const t = renderVerifyTable(report);
    expect(t).toMatch(/pod-to-pod-same-node .*\[1\/1\]/);
    expect(t).toMatch(/FAIL {2}a -> c/);
    expect(t).toContain('why: ping: 0/3');
    expect(t).toContain('1 of 2 probes failed');
  });
  it('writes JUnit with one suite per path and escaped failures', () => {
    const x = renderJunit(report);
    expect(x.match(/<testsuite /g)).toHaveLength(2);
    expect(x).toContain('failures="1"');
    expect(x).toContain('&lt;replies&gt;');
  });
});
