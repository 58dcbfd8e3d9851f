import { loadTopology } from '../../src/topology/load';
import { policyChanges } from '../../src/netpol/diff';

describe('policy changes of a lab apply', () => {
  it('lists created, configured and deleted policies', () => {
    const s1 = loadTopology('topologies/netpol/step-1.yaml');
    const s3 = loadTopology('topologies/netpol/step-3.yaml');
    expect(policyChanges(s1, s3)).toEqual([
      'networkpolicy x/a-from-node2 created',
      'networkpolicy x/allow-c-to-b-named created',
      'networkpolicy x/allow-from-y-80 created',
      'networkpolicy y/a-egress-cidr created',
      'networkpolicy z/egress-to-c-only created',
    ]);
    expect(policyChanges(s3, loadTopology('topologies/netpol.yaml'))).toHaveLength(6);
    expect(policyChanges(s3, s3)).toEqual([]);
    const changed = {
      ...s1,
      networkPolicies: s1.networkPolicies!.map((p) => ({
        ...p,
        policyTypes: ['Ingress', 'Egress'] as ('Ingress' | 'Egress')[],
      })),
    };
    expect(policyChanges(s1, changed)).toEqual(['networkpolicy x/default-deny-ingress configured']);
  });
});
