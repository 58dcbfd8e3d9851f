import { policySourceFromOutside, OutsideHop } from '../../src/netpol/outside';
import { evaluate } from '../../src/netpol/evaluate';
import type { NetworkPolicyModel } from '../../src/model/netpol';

const node2 = { name: 'node2', ip: '10.0.1.11', podCIDR: '10.244.1.0/24' };
const hop = (over: Partial<OutsideHop>): OutsideHop => ({
  client: '10.0.1.1',
  entry: node2,
  backendNode: 'node1',
  externalTrafficPolicy: 'Cluster',
  cni: 'vpc-routes',
  ...over,
});

describe('the source a NetworkPolicy sees for traffic from outside (kube-network-policies model)', () => {
  it('ETP Cluster to a backend on another node: the entry node address masquerade takes (eth0, or the VXLAN device)', () => {
    expect(policySourceFromOutside(hop({}))).toMatchObject({ ip: '10.0.1.11', node: 'node2' });
    expect(policySourceFromOutside(hop({ cni: 'vxlan' }))).toMatchObject({ ip: '10.244.1.0', node: 'node2' });
    expect(policySourceFromOutside(hop({ cni: 'host-gw' })).ip).toBe('10.0.1.11');
  });
  it("ETP Cluster to a backend on the entry node, and ETP Local: the client's address", () => {
    expect(policySourceFromOutside(hop({ backendNode: 'node2' }))).toEqual({
      ip: '10.0.1.1',
      why: expect.stringMatching(/before that node's SNAT/),
    });
    expect(policySourceFromOutside(hop({ externalTrafficPolicy: 'Local', backendNode: 'node2' })).ip).toBe('10.0.1.1');
  });
  it('with the oracle: an ipBlock of node2 admits outside traffic only when it came in through node2 to another node', () => {
    const pol: NetworkPolicyModel = {
      name: 'a-from-node2',
      namespace: 'x',
      podSelector: { matchLabels: { pod: 'a' } },
      policyTypes: ['Ingress'],
      ingress: [{ peers: [{ ipBlock: { cidr: '10.0.1.11/32' } }], ports: [{ protocol: 'TCP', port: 80 }] }],
      egress: [],
    };
    const a = { namespace: 'x', name: 'a', ip: '10.244.0.2', node: 'node1', labels: { pod: 'a' }, ports: [] };
    const world = { policies: [pol], namespaceLabels: {} };
    const via = (entry: typeof node2) => {
      const s = policySourceFromOutside(hop({ entry }));
      return evaluate(world, { host: { ip: s.ip, node: s.node } }, { pod: a }, 80, 'TCP').allowed;
    };
    expect(via(node2)).toBe(true);
    expect(via({ name: 'node3', ip: '10.0.1.12', podCIDR: '10.244.2.0/24' })).toBe(false);
    // Through node1, where a runs: the client's 10.0.1.1 is seen, not in the block.
    expect(via({ name: 'node1', ip: '10.0.1.10', podCIDR: '10.244.0.0/24' })).toBe(false);
    // The entry node is not the pod's own node: "always allowed from the node" does not apply.
    const s = policySourceFromOutside(hop({}));
    expect(evaluate(world, { host: { ip: s.ip, node: s.node } }, { pod: a }, 81, 'TCP').allowed).toBe(false);
  });
});
