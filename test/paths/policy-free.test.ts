import { loadTopology } from '../../src/topology/load';
import { crossNodePairs, policyFree, servingPods } from '../../src/paths/common/select';
import { PATHS } from '../../src/paths';

describe('open-network paths leave pods a NetworkPolicy selects to the network-policy path', () => {
  it('no policy: every pod is policy-free', () => {
    const m = loadTopology('topologies/netpol.yaml');
    expect(m.pods.every((p) => policyFree(m, p))).toBe(true);
    expect(servingPods(m)).toHaveLength(9);
  });

  it('step 3: pods of x, y/a, z/a and z/b are left out; pairs use the others', () => {
    const m = loadTopology('topologies/netpol/step-3.yaml');
    expect(servingPods(m).map((p) => `${p.namespace}/${p.name}`)).toEqual(['y/b', 'y/c', 'z/c']);
    for (const [a, b] of crossNodePairs(m)) expect(policyFree(m, a) && policyFree(m, b)).toBe(true);
    const identity = PATHS.find((p) => p.id === 'pod-ip-identity')!.probes(m);
    expect(identity.map((p) => p.from).sort()).toEqual(['node2/y/b', 'node3/y/c', 'node3/z/c']);
    // 9 pod sources and the outside client's row (x/a's NodePort).
    expect(
      PATHS.find((p) => p.id === 'network-policy')!
        .probes(m)
        .map((p) => p.from),
    ).toHaveLength(10);
  });
});
