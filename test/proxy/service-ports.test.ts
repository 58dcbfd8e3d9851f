import { InputError } from '../../src/errors';
import { computeEndpoints } from '../../src/proxy/endpoints';
import { cidrContains, findNode, servicePortInfos } from '../../src/proxy/service-ports';
import { backend, model, node, service } from './fixtures';

const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24'), node('n2', '192.168.0.3', '10.244.2.0/24')];

describe('servicePortInfos', () => {
  const pods = [
    backend('default', 'web', 'w1', 'n1', '10.244.1.5'),
    backend('default', 'web', 'w2', 'n2', '10.244.2.5', {}),
  ];

  it('skips headless and ExternalName services', () => {
    const lab = model(
      nodes,
      [
        service('default', 'web', 'None', [{ port: 80 }]),
        service('default', 'ext', '', [{ port: 80 }], { type: 'ExternalName' }),
      ],
      pods,
    );
    expect(servicePortInfos(lab, 'n1', computeEndpoints(lab))).toEqual([]);
  });

  it('ETP Local still uses cluster endpoints (short-circuit) and adds the local ones', () => {
    const lab = model(
      nodes,
      [
        service('default', 'web', '10.96.0.1', [{ port: 80, nodePort: 30000 }], {
          type: 'NodePort',
          externalTrafficPolicy: 'Local',
        }),
      ],
      pods,
    );
    const [i] = servicePortInfos(lab, 'n2', computeEndpoints(lab));
    expect(i.usesClusterEndpoints && i.usesLocalEndpoints).toBe(true);
    expect(i.localEndpoints.map((e) => e.podName)).toEqual(['w2']);
    expect(i.reachableEndpoints.map((e) => e.podName)).toEqual(['w1', 'w2']);
  });

  it('ignores not-ready endpoints and ETP on non-external services', () => {
    const lab = model(
      nodes,
      [service('default', 'web', '10.96.0.1', [{ port: 80 }], { externalTrafficPolicy: 'Local' })],
      pods,
    );
    const [i] = servicePortInfos(
      lab,
      'n1',
      computeEndpoints(lab, (p) => p.name !== 'w1'),
    );
    expect(i.externalPolicyLocal).toBe(false);
    expect(i.clusterEndpoints.map((e) => e.podName)).toEqual(['w2']);
    expect(i.hasEndpoints).toBe(true);
  });
});

describe('helpers', () => {
  it('cidrContains', () => {
    expect(cidrContains('203.0.113.0/25', '203.0.113.2')).toBe(true);
    expect(cidrContains(' 203.0.113.0/25', '203.0.113.130')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '8.8.8.8')).toBe(true);
    expect(cidrContains('nonsense', '8.8.8.8')).toBe(false);
  });
  it('findNode names the known nodes on a miss', () => {
    const lab = model(nodes, [], []);
    expect(() => findNode(lab, 'n9')).toThrow(InputError);
    expect(() => findNode(lab, 'n9')).toThrow(/n9/);
  });
});
