import { Issues } from '../../src/topology/issues';
import { SchedulableNode, Scheduler, checkPlacement, eligibleNodes } from '../../src/topology/scheduler';
import { deployment, errorAt, errorsOf, pod, resolve, topo } from './helpers';

const nodes: SchedulableNode[] = [
  { name: 'node1', labels: { 'kubernetes.io/hostname': 'node1', zone: 'a', gen: '3' } },
  { name: 'node2', labels: { 'kubernetes.io/hostname': 'node2', zone: 'b', gen: '5' } },
  { name: 'node3', labels: { 'kubernetes.io/hostname': 'node3', zone: 'a' } },
];
const c = [{ name: 'c', image: 'x' }];

describe('Scheduler', () => {
  it('spreads to the node with the fewest pods, ties to the earlier node', () => {
    const s = new Scheduler(nodes);
    const got = Array.from({ length: 7 }, () => (s.place({ containers: c }, 'spec') as { node: string }).node);
    expect(got).toEqual(['node1', 'node2', 'node3', 'node1', 'node2', 'node3', 'node1']);
  });

  it('counts pinned pods when spreading', () => {
    const s = new Scheduler(nodes);
    s.place({ nodeName: 'node1', containers: c }, 'spec');
    s.place({ nodeName: 'node1', containers: c }, 'spec');
    s.place({ nodeName: 'node2', containers: c }, 'spec');
    expect(s.place({ containers: c }, 'spec')).toEqual({ node: 'node3' });
    expect(s.place({ containers: c }, 'spec')).toEqual({ node: 'node2' });
  });

  it('filters by nodeSelector', () => {
    const s = new Scheduler(nodes);
    const placed = [1, 2, 3].map(
      () => (s.place({ nodeSelector: { zone: 'a' }, containers: c }, 'spec') as { node: string }).node,
    );
    expect(placed).toEqual(['node1', 'node3', 'node1']);
  });

  it('evaluates required node affinity operators', () => {
    const term = (matchExpressions: unknown[]) => ({
      containers: c,
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } },
      },
    });
    const names = (spec: unknown) => eligibleNodes(spec as never, nodes).map((n) => n.name);
    expect(names(term([{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['node3'] }]))).toEqual([
      'node1',
      'node2',
    ]);
    expect(names(term([{ key: 'zone', operator: 'In', values: ['b'] }]))).toEqual(['node2']);
    expect(names(term([{ key: 'gen', operator: 'Exists' }]))).toEqual(['node1', 'node2']);
    expect(names(term([{ key: 'gen', operator: 'DoesNotExist' }]))).toEqual(['node3']);
    expect(names(term([{ key: 'gen', operator: 'Gt', values: ['4'] }]))).toEqual(['node2']);
    expect(names(term([{ key: 'gen', operator: 'Lt', values: ['4'] }]))).toEqual(['node1']);
    expect(
      names(
        term([
          { key: 'zone', operator: 'In', values: ['a'] },
          { key: 'gen', operator: 'Exists' },
        ]),
      ),
    ).toEqual(['node1']);
    const fields = {
      containers: c,
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node2'] }] },
              { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] },
            ],
          },
        },
      },
    };
    expect(names(fields)).toEqual(['node2']);
    // An empty term matches nothing, as in Kubernetes.
    expect(
      names({
        containers: c,
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } },
      }),
    ).toEqual([]);
  });

  it('rejects malformed requirements the way the apiserver does', () => {
    const issues = new Issues();
    const spec = {
      containers: c,
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'a', operator: 'In' },
                  { key: 'a', operator: 'Exists', values: ['x'] },
                  { key: 'a', operator: 'Gt', values: ['x'] },
                ],
                matchFields: [{ key: 'metadata.labels', operator: 'In', values: ['x'] }],
              },
            ],
          },
        },
      },
    };
    expect(checkPlacement(spec as never, 'spec', issues)).toBe(false);
    const p = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]';
    expect(errorAt(issues.list, `${p}.matchExpressions[0].values`).message).toMatch(/Required value/);
    expect(errorAt(issues.list, `${p}.matchExpressions[1].values`).message).toMatch(/Forbidden/);
    expect(errorAt(issues.list, `${p}.matchExpressions[2].values`).message).toMatch(/single value/);
    expect(errorAt(issues.list, `${p}.matchFields[0].key`).hint).toMatch(/metadata.name/);
  });

  it('reports when no node matches, with the Kubernetes message and the node labels', () => {
    const s = new Scheduler(nodes);
    const r = s.place({ nodeSelector: { zone: 'c' }, containers: c }, 'objects[0].spec');
    expect(r).toEqual({
      error: {
        field: 'objects[0].spec.nodeSelector',
        message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector",
        hint: expect.stringContaining('node1 {kubernetes.io/hostname=node1, zone=a, gen=3}'),
      },
    });
  });
});

describe('scheduling in a topology', () => {
  it('spreads Deployment replicas after pinned pods, in file order', () => {
    const m = resolve(topo({ objects: [pod('a', { nodeName: 'node1' }), deployment('web', 5)] }));
    expect(m.pods.map((p) => p.node)).toEqual(['node1', 'node2', 'node3', 'node1', 'node2', 'node3']);
  });

  it('reports an unschedulable Deployment once, not per replica', () => {
    const errs = errorsOf(() => resolve(topo({ objects: [deployment('web', 3, { nodeSelector: { disk: 'ssd' } })] })));
    expect(errs).toHaveLength(1);
    expect(errorAt(errs, 'objects[0].spec.template.spec.nodeSelector').message).toMatch(
      /^objects\[0\]\.spec\.template\.spec\.nodeSelector: pod default\/web-[0-9a-f]{10}-\w{5}: 0\/3 nodes are available/,
    );
  });

  it('matches node labels from the topology', () => {
    const m = resolve(
      topo({
        nodes: [{ name: 'n1' }, { name: 'n2', labels: { disk: 'ssd' } }],
        objects: [deployment('db', 2, { nodeSelector: { disk: 'ssd' } })],
      }),
    );
    expect(m.pods.map((p) => p.node)).toEqual(['n2', 'n2']);
  });
});

describe('nodeName with a selector', () => {
  it('rejects a pod pinned to a node its selector does not match', () => {
    const errs = errorsOf(() =>
      resolve(
        topo({
          nodes: [{ name: 'n1', labels: { zone: 'a' } }, { name: 'n2' }],
          objects: [pod('p', { nodeName: 'n2', nodeSelector: { zone: 'a' } })],
        }),
      ),
    );
    expect(errorAt(errs, 'objects[0].spec.nodeName').message).toMatch(/Predicate NodeAffinity failed/);
  });
});
