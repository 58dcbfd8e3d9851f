import { policyDropLines, TraceRun } from '../../src/lab/trace';

describe('trace: NetworkPolicy drops', () => {
  const run = (policyDrops?: TraceRun['policyDrops']) => ({ policyDrops }) as TraceRun;
  it('says nothing on a lab without policies', () => {
    expect(policyDropLines(run(undefined))).toEqual([]);
  });
  it('says when no drop was counted, and names the observed rule otherwise', () => {
    expect(policyDropLines(run([]))).toEqual(['no NetworkPolicy drop counted for this connection']);
    expect(
      policyDropLines(
        run([{ node: 'node2', dir: 'ingress', packets: 2, rule: 'x/b ingress isolated by x/default-deny-ingress' }]),
      ),
    ).toEqual([
      'dropped by NetworkPolicy at node2 ingress: 2 packet(s), rule "x/b ingress isolated by x/default-deny-ingress" (the node\'s drop set counted this connection)',
    ]);
  });
});
