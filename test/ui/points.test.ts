import { vertexForPoint } from '../../src/ui/points';
import { fixtureModel } from '../fixtures/model';

describe('vertexForPoint', () => {
  const m = fixtureModel();
  const pod2 = m.pods.find((p) => p.name === 'pod2')!;
  it.each([
    ['node1/pod1:eth0', 'pod/default/pod1'],
    ['node1/default/pod2:eth0', 'pod/default/pod2'],
    [`node1:${pod2.hostVeth}`, 'pod/default/pod2'],
    ['node1:cbr0', 'node/node1/cbr0'],
    ['node2:eth0', 'node/node2/eth0'],
    ['node2:flannel.1', 'node/node2/eth0'],
    ['vpc:v-node1', 'vpc/router'],
    ['igw:inet0', 'edge/igw'],
    ['internet:eth0', 'edge/internet'],
    ['lb:eth0', 'edge/lb'],
    ['ingress:eth0', 'edge/ingress'],
  ])('%s is drawn at %s', (point, vertex) => {
    expect(vertexForPoint(m, point)).toBe(vertex);
  });

  it.each(['node9:eth0', 'node1/nope:eth0', 'no-colon'])('%s is nowhere on the drawing', (point) => {
    expect(vertexForPoint(m, point)).toBeUndefined();
  });
});
