import { lbCheckPorts, lbDownNodes, lbHealthEvents, renderLbBackendDown } from '../../src/edge/lb-fault';
import { checkFault, FaultRecord } from '../../src/faults/render';
import { deployment, resolve, service, topo } from '../topology/helpers';

const model = resolve(
  topo({
    edge: {},
    objects: [
      deployment('web', 2),
      service('web', {
        type: 'LoadBalancer',
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
      }),
      service('web-lb-local', {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      }),
    ],
  }),
);
const [n1, n2] = model.nodes;
const hc = model.services.find((s) => s.name === 'web-lb-local')!.healthCheckNodePort!;

describe('lb-backend-down rules', () => {
  it("drops only the LB's own address to the node's check ports, before conntrack and DNAT", () => {
    expect(lbCheckPorts(model, n2)).toEqual([30080, hc].sort((a, b) => a - b));
    const r = renderLbBackendDown('f4', model, n2);
    expect(r).toContain('table inet k8s_netlab_fault_f4 {');
    expect(r).toContain(
      `chain prerouting { type filter hook prerouting priority -310; policy accept; ip saddr ${model.edge!.lb.ip} tcp dport { ${lbCheckPorts(model, n2).join(', ')} } drop; }`,
    );
    // Client traffic the LB DNATs keeps the client's address: no rule on anything else.
    expect(r).not.toMatch(/daddr|iifname|oifname/);
  });

  it('is checked against the model: a lab without an edge, a second fault on one node', () => {
    const noEdge = resolve(topo({}));
    expect(() => checkFault(noEdge, { kind: 'lb-backend-down', target: 'node1' }, [])).toThrow(
      /no cloud load balancer/,
    );
    const active = [{ id: 'f1', kind: 'lb-backend-down', target: 'node2' } as FaultRecord];
    expect(() => checkFault(model, { kind: 'lb-backend-down', target: 'node2' }, active)).toThrow(/already/);
    expect(() => checkFault(model, { kind: 'lb-backend-down', target: 'node9' }, [])).toThrow(/no node node9/);
    expect(checkFault(model, { kind: 'lb-backend-down', target: 'node1' }, active).nodes).toEqual([n1]);
  });

  it('reads the nodes taken out from the fault store, none from an empty or broken one', () => {
    const store = JSON.stringify({
      active: [
        { id: 'f1', kind: 'lb-backend-down', target: 'node2' },
        { id: 'f2', kind: 'link-down', target: 'node3' },
      ],
    });
    expect([...lbDownNodes(store)]).toEqual(['node2']);
    expect(lbDownNodes('').size).toBe(0);
    expect(lbDownNodes('{"act').size).toBe(0);
  });
});

describe('LB health timeline', () => {
  const state = (updated: number, healthy: Record<string, string[]>, failed?: string) =>
    JSON.stringify({
      updated,
      services: Object.fromEntries(
        Object.entries(healthy).map(([k, v]) => [
          k,
          { healthy: v, checks: failed ? { [failed]: { ok: false, detail: 'timeout', check: 'tcp:30080' } } : {} },
        ]),
      ),
    });

  it('the first read is the baseline; a node leaving is one event per node at the checker round', () => {
    const a = lbHealthEvents(undefined, state(100, { 'default/web:http': ['node1', 'node2', 'node3'] }));
    expect(a.events).toEqual([]);
    const b = lbHealthEvents(
      a.healthy,
      state(103.5, { 'default/web:http': ['node1', 'node3'], 'default/web-lb-local:http': ['node1'] }, 'node2'),
    );
    expect(b.events).toEqual([
      {
        kind: 'lb-backend-dropped',
        node: 'node2',
        at: 103_500,
        detail: "the load balancer's health check dropped node2 from default/web:http (tcp:30080 timeout)",
      },
    ]);
    const c = lbHealthEvents(b.healthy, state(110, { 'default/web:http': ['node1', 'node2', 'node3'] }));
    expect(c.events.map((e) => [e.kind, e.node, e.at])).toEqual([['lb-backend-restored', 'node2', 110_000]]);
  });

  it('no change, or an unreadable state, is no event and keeps the view', () => {
    const a = lbHealthEvents(undefined, state(1, { x: ['node1'] }));
    expect(lbHealthEvents(a.healthy, state(2, { x: ['node1'] })).events).toEqual([]);
    const broken = lbHealthEvents(a.healthy, '{"upd');
    expect(broken.events).toEqual([]);
    expect(broken.healthy).toBe(a.healthy);
  });
});
