import { loadTopology } from '../../src/topology/load';
import { vertexForEndpoint, verifyPicture } from '../../src/ui/verdicts';
import { labGraph } from '../../src/graph/model';
import type { ProbeResult } from '../../src/paths/common/types';

const guide = loadTopology('topologies/guide.yaml');
const drawn = new Set(labGraph(guide).vertices.map((v) => v.id));
const pod = (name: string) => guide.pods.find((p) => p.name === name)!;

const result = (path: string, from: string, to: string, ok: boolean): ProbeResult => ({
  path,
  name: `${from} -> ${to}`,
  from,
  to,
  ok,
  verdict: ok ? 'pass' : 'fail',
  evidence: { observed: {}, expected: {} },
});

describe('verify colours on the picture', () => {
  it('resolves the names verify prints to vertices the graph draws', () => {
    const web = guide.services.find((s) => s.name === 'web')!;
    const cases: Array<[string, string]> = [
      [`${pod('pod1').node}/pod1`, 'pod/default/pod1'],
      ['node2', 'node/node2/eth0'],
      ['vpc', 'vpc/router'],
      [`${web.clusterIP}:80`, 'svc/default/web'],
      [`${web.clusterIP}:81/udp`, 'svc/default/web'],
      [`${pod('pod2').ip}:8080`, 'pod/default/pod2'],
      [`${guide.nodes[0].ip}:30080`, 'node/node1/eth0'],
      ['internet 198.51.100.10', 'edge/internet'],
    ];
    for (const [name, vertex] of cases) {
      expect([name, vertexForEndpoint(guide, name)]).toEqual([name, vertex]);
      expect(drawn.has(vertex)).toBe(true);
    }
    expect(vertexForEndpoint(guide, '16 pods')).toBeUndefined();
    expect(vertexForEndpoint(guide, '127.0.0.1:30080')).toBeUndefined();
  });

  it('a path is red when any of its probes failed; a vertex is red when any probe touching it failed, green otherwise', () => {
    const n1 = pod('pod1').node;
    const p = verifyPicture(guide, [
      result('pod-to-pod-same-node', `${n1}/pod1`, `${n1}/pod2`, true),
      result('pod-to-pod-same-node', `${n1}/pod2`, `${n1}/pod1`, false),
      result('node-to-pod', 'node3', `${pod('pod3').node}/pod3`, true),
      { ...result('nodeport', 'vpc', 'node1', false), verdict: 'not applicable', ok: true },
    ]);
    expect(p.paths).toEqual({ 'pod-to-pod-same-node': 'fail', 'node-to-pod': 'pass' });
    expect(p.vertices['pod/default/pod1']).toBe('fail');
    expect(p.vertices['pod/default/pod2']).toBe('fail');
    expect(p.vertices['pod/default/pod3']).toBe('pass');
    expect(p.vertices['node/node3/eth0']).toBe('pass');
    expect(p.vertices['vpc/router']).toBeUndefined(); // not applicable: not judged, not coloured
  });
});
