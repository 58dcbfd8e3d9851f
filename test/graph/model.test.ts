import { labGraph, podId, serviceId } from '../../src/graph/model';
import { renderDot, dotString } from '../../src/graph/dot';
import { renderMermaid, mermaidText } from '../../src/graph/mermaid';
import { StatusReport } from '../../src/lab/status';
import { loadTopology } from '../../src/topology/load';
import { GUIDE_TOPOLOGY } from '../../src/cli/common';
import { fixtureModel } from '../fixtures/model';
import { webService } from '../fixtures/web-service';
import { LabModel } from '../../src/model/types';

/** The fixture with Service web selecting pod3 only, its port unnamed. */
function withService(m: LabModel): LabModel {
  m.services.push(webService({ selector: { app: 'pod3' }, ports: [{ protocol: 'TCP', port: 80, targetPort: 8080 }] }));
  return m;
}

describe('labGraph', () => {
  it('puts each pod in its node, each node in its subnet inside the VPC, with its eth0 and cbr0 addresses', () => {
    const g = labGraph(fixtureModel());
    const pod1 = g.vertices.find((v) => v.id === podId('default', 'pod1'))!;
    expect(pod1.lines).toEqual(['pod1', '10.244.0.2']);
    expect(pod1.parent).toBe('node/node1');
    expect(g.groups.find((x) => x.id === 'node/node1')!.parent).toBe('subnet/subnet-a');
    expect(g.groups.find((x) => x.id === 'subnet/subnet-a')!.parent).toBe('vpc');
    expect(g.vertices.find((v) => v.id === 'node/node2/eth0')!.lines).toEqual(['eth0', '10.0.1.12/24']);
    expect(g.vertices.find((v) => v.id === 'node/node2/cbr0')!.lines).toEqual(['cbr0', '10.244.1.1 (10.244.1.0/24)']);
    expect(g.edges).toContainEqual({ from: 'node/node1/cbr0', to: podId('default', 'pod1'), kind: 'veth' });
    expect(g.edges).toContainEqual({ from: 'vpc/router', to: 'node/node3/eth0', kind: 'link' });
    // Every parent is a group that exists and comes first.
    const seen = new Set<string>();
    for (const grp of g.groups) {
      if (grp.parent) expect(seen.has(grp.parent)).toBe(true);
      seen.add(grp.id);
    }
    for (const v of g.vertices) if (v.parent) expect(seen.has(v.parent)).toBe(true);
  });

  it('joins a Service to exactly the pods its selector picks, labelled with the target port', () => {
    const g = labGraph(withService(fixtureModel()));
    const eps = g.edges.filter((e) => e.kind === 'endpoint');
    expect(eps).toEqual([
      { from: serviceId('default', 'web'), to: podId('default', 'pod3'), kind: 'endpoint', label: ':8080' },
    ]);
    expect(g.vertices.find((v) => v.id === serviceId('default', 'web'))!.lines).toEqual([
      'web',
      'ClusterIP 10.96.0.50',
      '80/TCP',
    ]);
  });

  it('from a file every state is unknown; with a status report, what was observed (a stopped pod is down)', () => {
    const m = fixtureModel();
    expect(new Set(labGraph(m).vertices.map((v) => v.state))).toEqual(new Set(['unknown']));
    const status = {
      containers: [
        { name: 'node1', container: 'k8s-netlab-t-node1', role: 'node', state: 'running' },
        { name: 'node2', container: 'k8s-netlab-t-node2', role: 'node', state: 'exited' },
      ],
      pods: [
        { name: 'pod1', namespace: 'default', node: 'node1', ip: '10.244.0.2', containers: ['web'], running: true },
        { name: 'pod2', namespace: 'default', node: 'node1', ip: '10.244.0.3', containers: ['web'], running: false },
      ],
    } as unknown as StatusReport;
    const g = labGraph(m, status);
    expect(g.source).toBe('live');
    const state = (id: string) => g.vertices.find((v) => v.id === id)!.state;
    expect(state(podId('default', 'pod1'))).toBe('running');
    expect(state(podId('default', 'pod2'))).toBe('down');
    expect(state(podId('default', 'pod3'))).toBe('down'); // not in the report: not observed running
    expect(g.groups.find((x) => x.id === 'node/node1')!.state).toBe('running');
    expect(g.groups.find((x) => x.id === 'node/node2')!.state).toBe('down');
    expect(g.groups.find((x) => x.id === 'node/node3')!.state).toBe('down');
    // node1's container runs, but status found it broken (links gone): down, not running.
    const broken = { ...status, nodes: [{ name: 'node1', state: 'broken' }] } as unknown as StatusReport;
    expect(labGraph(m, broken).groups.find((x) => x.id === 'node/node1')!.state).toBe('down');
  });

  it('draws the guide lab edge: gateway, Internet host, load balancer to its LoadBalancer Services, ingress to its backends', () => {
    const m = loadTopology(GUIDE_TOPOLOGY);
    const g = labGraph(m);
    for (const p of m.pods) expect(g.vertices.find((v) => v.id === podId(p.namespace, p.name))!.lines).toContain(p.ip);
    expect(g.vertices.find((v) => v.id === 'edge/internet')!.lines).toContain(m.edge!.internet.ip);
    const web = m.services.find((s) => s.name === 'web')!;
    expect(g.edges).toContainEqual({
      from: 'edge/lb',
      to: serviceId('default', 'web'),
      kind: 'lb',
      label: web.loadBalancerIP,
    });
    expect(g.edges.some((e) => e.from === 'edge/ingress' && e.kind === 'ingress')).toBe(true);
    // The web Service's endpoints are the web Deployment's pods, no more.
    const webPods = m.pods
      .filter((p) => p.labels.app === 'web')
      .map((p) => podId(p.namespace, p.name))
      .sort();
    expect(
      g.edges
        .filter((e) => e.from === serviceId('default', 'web') && e.kind === 'endpoint')
        .map((e) => e.to)
        .sort(),
    ).toEqual(webPods);
  });
});

describe('renderDot', () => {
  it('nests clusters as the groups nest and quotes every id and label', () => {
    const dot = renderDot(labGraph(withService(fixtureModel())));
    expect(dot.startsWith('graph "lab t" {')).toBe(true);
    expect(dot.match(/subgraph "cluster_\d+"/g)!.length).toBe(1 + 1 + 3 + 1); // vpc, subnet, 3 nodes, services
    expect(dot).toContain('"pod/default/pod1" [label="pod1\\n10.244.0.2"');
    expect(dot).toContain('"svc/default/web" -- "pod/default/pod3" [color="#7b3fa0", style=dashed, label=":8080"];');
    // The node1 cluster holds its pods: they appear between its subgraph line and its closing brace.
    const node1 = dot.slice(dot.indexOf('label="node1"'), dot.indexOf('label="node2"'));
    expect(node1).toContain('"pod/default/pod2"');
    expect(node1).not.toContain('"pod/default/pod3"');
  });

  it('escapes quotes, backslashes and newlines', () => {
    expect(dotString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
  });
});

describe('renderMermaid', () => {
  it('writes nested subgraphs with short ids, pods with their IP, and endpoints as dotted arrows', () => {
    const mmd = renderMermaid(labGraph(withService(fixtureModel())));
    const lines = mmd.split('\n');
    expect(lines[0]).toBe('flowchart LR');
    expect(lines.filter((l) => /^\s*subgraph /.test(l)).length).toBe(lines.filter((l) => /^\s*end$/.test(l)).length);
    const pod3 = lines.find((l) => l.includes('"pod3<br/>10.244.1.2"'))!;
    const pod3Id = pod3.trim().split('(')[0];
    expect(pod3Id).toMatch(/^v\d+$/);
    expect(lines.some((l) => new RegExp(`^  v\\d+ -\\.->\\|":8080"\\| ${pod3Id}$`).test(l))).toBe(true);
  });

  it('writes quotes and angle brackets as Mermaid entities', () => {
    expect(mermaidText('a "b" <c>')).toBe('a #quot;b#quot; #lt;c#gt;');
  });
});

describe('labGraph with collapse (lab ui at scale)', () => {
  const svc = () => withService(fixtureModel());
  it('draws a node with more pods than the limit as one box, endpoints into it counted; others keep their pods', () => {
    const m = svc();
    m.services[0].selector = { role: 'x' };
    for (const p of m.pods) if (p.node === 'node1') p.labels.role = 'x';
    const g = labGraph(m, undefined, { above: 1 });
    // node1 and node2 have 2 pods each (> 1): collapsed; node3 has 1: drawn.
    expect(g.vertices.find((v) => v.id === 'node/node1/pods')!.lines).toEqual([
      '2 pods',
      '10.244.0.2 … 10.244.0.3',
      'click to show',
    ]);
    expect(g.vertices.some((v) => v.id === podId('default', 'pod1'))).toBe(false);
    expect(g.vertices.some((v) => v.id === podId('default', 'client'))).toBe(true);
    expect(g.edges.filter((e) => e.kind === 'endpoint')).toEqual([
      { from: serviceId('default', 'web'), to: 'node/node1/pods', kind: 'endpoint', label: '2 endpoints :8080' },
    ]);
    expect(g.edges).toContainEqual({ from: 'node/node1/cbr0', to: 'node/node1/pods', kind: 'veth', label: '2 veths' });
  });

  it('an expanded node shows its pods again; without a limit nothing collapses', () => {
    const g = labGraph(svc(), undefined, { above: 1, expanded: new Set(['node1']) });
    expect(g.vertices.some((v) => v.id === podId('default', 'pod1'))).toBe(true);
    expect(g.vertices.some((v) => v.id === 'node/node2/pods')).toBe(true);
    expect(labGraph(svc()).vertices.some((v) => v.kind === 'pods')).toBe(false);
  });
});
