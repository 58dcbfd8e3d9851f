import { LabModel, ServiceModel } from '../../src/model/types';
import { PATHS } from '../../src/probes/registry';
import { branchOrder, chooseBranch, newMarker, PathUnavailable, planPoints, tracePathIds, tracePlan } from '../../src/lab/trace-paths';
import { capturePoints, splitCapturePoint } from '../../src/trace/capture-plan';
import { fixtureModel } from '../fixtures/model';

const MARK = 'k8s-netlab-trace-0123abcd';

/** The fixture plus Service web (app=web) backed by pod2 (node1) and pod3 (node2). */
function withService(over: Partial<ServiceModel> = {}): LabModel {
  const m = fixtureModel();
  for (const p of m.pods) if (p.name === 'pod2' || p.name === 'pod3') p.labels = { app: 'web' };
  m.services.push({
    name: 'web', namespace: 'default', type: 'ClusterIP', clusterIP: '10.96.0.50', selector: { app: 'web' },
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
    sessionAffinity: 'None', affinityTimeoutSeconds: 10800, internalTrafficPolicy: 'Cluster', externalTrafficPolicy: 'Cluster',
    publishNotReadyAddresses: false, ...over,
  });
  return m;
}

describe('trace path registry', () => {
  it('has a trace for every path lab verify knows', () => {
    for (const id of PATHS.map((p) => p.id)) expect(tracePathIds()).toContain(id);
  });

  it('makes unique markers that are DNS labels', () => {
    const a = newMarker();
    expect(a).toMatch(/^k8s-netlab-trace-[0-9a-f]{8}$/);
    expect(newMarker()).not.toBe(a);
  });

  it('every plan of the fixture lab names valid capture points and carries the marker in its probe', () => {
    const m = withService({ type: 'NodePort', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }] });
    const valid = capturePoints(m, m.pods.map((p) => `${p.node}/${p.name}:lo`));
    for (const id of tracePathIds()) {
      const plan = tracePlan(m, id, MARK);
      expect(plan.path).toBe(id);
      expect(plan.probe.join(' ')).toContain(MARK);
      for (const p of planPoints(plan)) {
        expect(splitCapturePoint(p)).toBeDefined();
        expect(valid).toContain(p);
      }
    }
  });

  it('pod-to-pod-cross-node walks pod eth0, cbr0, eth0, the VPC router, the other node, the pod', () => {
    const plan = tracePlan(fixtureModel(), 'pod-to-pod-cross-node', MARK);
    expect(plan.from).toBe('node1/pod1');
    expect(plan.to).toBe('node2/pod3');
    expect(plan.points).toEqual([
      'node1/pod1:eth0', 'node1:cbr0', 'node1:eth0', 'vpc:v-node1', 'vpc:v-node2', 'node2:eth0', 'node2:cbr0', 'node2/pod3:eth0',
    ]);
    expect(plan.probe[plan.probe.length - 1]).toBe(`http://10.244.1.2:8080/echo?msg=${MARK}`);
    expect(plan.first).toEqual({ proto: 'tcp', dst: '10.244.1.2', dport: 8080 });
  });

  it('adds flannel.1 on both nodes in vxlan mode', () => {
    const plan = tracePlan(fixtureModel({ cni: 'vxlan' }), 'pod-to-pod-cross-node', MARK);
    expect(plan.points).toEqual([
      'node1/pod1:eth0', 'node1:cbr0', 'node1:flannel.1', 'node1:eth0', 'vpc:v-node1', 'vpc:v-node2', 'node2:eth0', 'node2:flannel.1', 'node2:cbr0', 'node2/pod3:eth0',
    ]);
  });

  it('pod-to-pod-same-node stays on the node: veth, cbr0, veth', () => {
    const m = fixtureModel();
    const plan = tracePlan(m, 'pod-to-pod-same-node', MARK);
    const [p1, p2] = m.pods;
    expect(plan.points).toEqual(['node1/pod1:eth0', `node1:${p1.hostVeth}`, 'node1:cbr0', `node1:${p2.hostVeth}`, 'node1/pod2:eth0']);
  });

  it('container-to-container captures the pod\'s lo and calls the localhost-only port', () => {
    const plan = tracePlan(fixtureModel(), 'container-to-container', MARK);
    expect(plan.points).toEqual(['node1/pod1:lo']);
    expect(plan.probe.join(' ')).toContain(`http://127.0.0.1:9090/echo?msg=${MARK}`);
  });

  it('node-to-pod starts in a node root namespace and ends in a pod on another node', () => {
    const plan = tracePlan(fixtureModel(), 'node-to-pod', MARK);
    expect(plan.from).toBe('node1');
    expect(plan.points[0]).toBe('node1:eth0');
    expect(plan.points[plan.points.length - 1]).toBe('node2/pod3:eth0');
  });

  it('pod-to-service captures a branch per backend, from the client on the node without one', () => {
    const m = withService();
    const plan = tracePlan(m, 'pod-to-service', MARK);
    expect(plan.from).toBe('node3/client');
    expect(plan.probe[plan.probe.length - 1]).toBe(`http://10.96.0.50:80/echo?msg=${MARK}`);
    expect(plan.points).toEqual(['node3/client:eth0', 'node3:cbr0']);
    expect(plan.branches!.map((b) => b.points)).toEqual([
      ['node3:eth0', 'vpc:v-node3', 'vpc:v-node1', 'node1:eth0', 'node1:cbr0', 'node1/pod2:eth0'],
      ['node3:eth0', 'vpc:v-node3', 'vpc:v-node2', 'node2:eth0', 'node2:cbr0', 'node2/pod3:eth0'],
    ]);
    // Shared points are captured once.
    expect(planPoints(plan).filter((p) => p === 'node3:eth0')).toHaveLength(1);
    // The branch whose backend saw the request wins; the order is the common part plus that branch.
    const seen = new Set(['node3/client:eth0', 'node3:cbr0', 'node3:eth0', 'vpc:v-node3', 'vpc:v-node2', 'node2:eth0', 'node2:cbr0', 'node2/pod3:eth0']);
    const b = chooseBranch(plan, (p) => seen.has(p))!;
    expect(b.label).toMatch(/pod3/);
    expect(branchOrder(plan, b)).toEqual(['node3/client:eth0', 'node3:cbr0', 'node3:eth0', 'vpc:v-node3', 'vpc:v-node2', 'node2:eth0', 'node2:cbr0', 'node2/pod3:eth0']);
    // Dropped at the VPC: the most-seen branch (a tie here) is the first.
    const early = new Set(['node3/client:eth0', 'node3:cbr0', 'node3:eth0', 'vpc:v-node3']);
    expect(chooseBranch(plan, (p) => early.has(p))!.label).toMatch(/pod2/);
  });

  it('says why a path cannot be traced, and rejects unknown paths with the list', () => {
    expect(() => tracePlan(fixtureModel(), 'pod-to-service', MARK)).toThrow(PathUnavailable);
    expect(() => tracePlan(fixtureModel(), 'nodeport', MARK)).toThrow(/no NodePort Service/);
    let err: unknown;
    try {
      tracePlan(fixtureModel(), 'pod-to-nowhere', MARK);
    } catch (e) {
      err = e;
    }
    expect((err as { exitCode: number }).exitCode).toBe(2);
    expect((err as { hint: string }).hint).toContain('pod-to-pod-cross-node');
  });

  it('nodeport goes from the VPC router to a node without a local endpoint', () => {
    const m = withService({ type: 'NodePort', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }] });
    const plan = tracePlan(m, 'nodeport', MARK);
    expect(plan.from).toBe('vpc');
    expect(plan.probe[plan.probe.length - 1]).toBe(`http://10.0.1.13:30080/echo?msg=${MARK}`);
    expect(plan.points).toEqual(['vpc:v-node3', 'node3:eth0']);
    expect(plan.branches).toHaveLength(2);
  });
});
