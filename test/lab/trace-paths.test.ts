import { LabModel, ServiceModel } from '../../src/model/types';
import { PATHS } from '../../src/probes/registry';
import {
  branchOrder,
  chooseBranch,
  newMarker,
  PathUnavailable,
  planPoints,
  tracePathIds,
  tracePlan,
} from '../../src/lab/trace-paths';
import { capturePoints, splitCapturePoint } from '../../src/trace/capture-plan';
import { fixtureModel } from '../fixtures/model';
import { loadTopology } from '../../src/topology/load';

const MARK = 'k8s-netlab-trace-0123abcd';

/** The fixture plus Service web (app=web) backed by pod2 (node1) and pod3 (node2). */
function withService(over: Partial<ServiceModel> = {}): LabModel {
  const m = fixtureModel();
  for (const p of m.pods) if (p.name === 'pod2' || p.name === 'pod3') p.labels = { app: 'web' };
  m.services.push({
    name: 'web',
    namespace: 'default',
    type: 'ClusterIP',
    clusterIP: '10.96.0.50',
    selector: { app: 'web' },
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    internalTrafficPolicy: 'Cluster',
    externalTrafficPolicy: 'Cluster',
    publishNotReadyAddresses: false,
    ...over,
  });
  return m;
}

/** The fixture with an edge (as src/topology/edge.ts lays it out), a LoadBalancer, an Ingress and cluster DNS. */
function edgeModel(): LabModel {
  const m = withService({
    type: 'LoadBalancer',
    loadBalancerIP: '203.0.113.100',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
  });
  const att = (name: string, n: number) => ({
    name,
    container: `k8s-netlab-t-${name}`,
    role: name as 'igw',
    iface: 'vpc0',
    ip: `10.255.0.${n + 2}`,
    vpcIface: `e-${name}`,
    vpcIP: `10.255.0.${n + 1}`,
    prefixLen: 30,
  });
  m.edge = {
    publicCIDR: '203.0.113.0/24',
    internetCIDR: '198.51.100.0/24',
    transitCIDR: '10.255.0.0/24',
    loadBalancerPool: '203.0.113.100/30',
    ingressIP: '203.0.113.200',
    natIP: '203.0.113.1',
    igw: { ...att('igw', 0), internetIface: 'inet0', internetIP: '198.51.100.1' },
    lb: att('lb', 4),
    ingress: att('ingress', 8),
    internet: {
      name: 'internet',
      container: 'k8s-netlab-t-internet',
      role: 'internet',
      iface: 'eth0',
      ip: '198.51.100.10',
      gateway: '198.51.100.1',
      otherClientIP: '192.0.2.10',
      otherClientCIDR: '192.0.2.0/24',
    },
  };
  m.ingresses = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        rules: [
          {
            host: 'web.example.com',
            http: {
              paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }],
            },
          },
        ],
      },
    },
  ];
  const dnsPod = {
    ...m.pods[3],
    name: 'coredns',
    namespace: 'kube-system',
    netns: 'kube-system.coredns',
    ip: '10.244.1.9',
    labels: { 'k8s-app': 'kube-dns' },
    containers: [
      { name: 'coredns', image: 'x', bind: '0.0.0.0', ports: [{ containerPort: 53, protocol: 'UDP' as const }] },
    ],
  };
  m.pods.push(dnsPod);
  m.services.push({
    name: 'kube-dns',
    namespace: 'kube-system',
    type: 'ClusterIP',
    clusterIP: m.cluster.dnsIP,
    selector: { 'k8s-app': 'kube-dns' },
    ports: [{ name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 }],
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    internalTrafficPolicy: 'Cluster',
    externalTrafficPolicy: 'Cluster',
    publishNotReadyAddresses: false,
  });
  return m;
}

/** Points of the edge containers (what ip -o link shows there). */
const EDGE_POINTS = [
  'igw:vpc0',
  'igw:inet0',
  'lb:vpc0',
  'ingress:vpc0',
  'internet:eth0',
  'vpc:e-igw',
  'vpc:e-lb',
  'vpc:e-ingress',
];

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
    const m = edgeModel();
    m.nodes[2].publicIP = '203.0.113.12';
    const valid = capturePoints(m, [...m.pods.map((p) => `${p.node}/${p.name}:lo`), ...EDGE_POINTS]);
    // network-policy needs a policy: one isolating the first pod's ingress (the other paths keep an open lab).
    const target = m.pods[0];
    const withPolicy: LabModel = {
      ...m,
      networkPolicies: [
        {
          name: 'deny',
          namespace: target.namespace,
          podSelector: { matchLabels: target.labels },
          policyTypes: ['Ingress'],
          ingress: [],
          egress: [],
        },
      ],
    };
    for (const id of tracePathIds()) {
      const plan = tracePlan(id === 'network-policy' ? withPolicy : m, id, MARK);
      expect(plan.path).toBe(id);
      // The marker travels in the payload: in the URL, or as ping's -p pattern (hex).
      const argv = plan.probe.join(' ');
      expect(argv.includes(plan.marker) || argv.includes(Buffer.from(plan.marker).toString('hex'))).toBe(true);
      expect(plan.marker.length).toBeGreaterThanOrEqual(16);
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
      'node1/pod1:eth0',
      'node1:cbr0',
      'node1:eth0',
      'vpc:v-node1',
      'vpc:v-node2',
      'node2:eth0',
      'node2:cbr0',
      'node2/pod3:eth0',
    ]);
    expect(plan.probe[plan.probe.length - 1]).toBe(`http://10.244.1.2:8080/echo?msg=${MARK}`);
    expect(plan.first).toEqual({ proto: 'tcp', dst: '10.244.1.2', dport: 8080 });
  });

  it('adds flannel.1 on both nodes in vxlan mode', () => {
    const plan = tracePlan(fixtureModel({ cni: 'vxlan' }), 'pod-to-pod-cross-node', MARK);
    expect(plan.points).toEqual([
      'node1/pod1:eth0',
      'node1:cbr0',
      'node1:flannel.1',
      'node1:eth0',
      'vpc:v-node1',
      'vpc:v-node2',
      'node2:eth0',
      'node2:flannel.1',
      'node2:cbr0',
      'node2/pod3:eth0',
    ]);
  });

  it('pod-to-pod-same-node stays on the node: veth, cbr0, veth', () => {
    const m = fixtureModel();
    const plan = tracePlan(m, 'pod-to-pod-same-node', MARK);
    const [p1, p2] = m.pods;
    expect(plan.points).toEqual([
      'node1/pod1:eth0',
      `node1:${p1.hostVeth}`,
      'node1:cbr0',
      `node1:${p2.hostVeth}`,
      'node1/pod2:eth0',
    ]);
  });

  it("container-to-container captures the pod's lo and calls the localhost-only port", () => {
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
    const seen = new Set([
      'node3/client:eth0',
      'node3:cbr0',
      'node3:eth0',
      'vpc:v-node3',
      'vpc:v-node2',
      'node2:eth0',
      'node2:cbr0',
      'node2/pod3:eth0',
    ]);
    const b = chooseBranch(plan, (p) => seen.has(p))!;
    expect(b.label).toMatch(/pod3/);
    expect(branchOrder(plan, b)).toEqual([
      'node3/client:eth0',
      'node3:cbr0',
      'node3:eth0',
      'vpc:v-node3',
      'vpc:v-node2',
      'node2:eth0',
      'node2:cbr0',
      'node2/pod3:eth0',
    ]);
    // Dropped at the VPC: the most-seen branch (a tie here) is the first.
    const early = new Set(['node3/client:eth0', 'node3:cbr0', 'node3:eth0', 'vpc:v-node3']);
    expect(chooseBranch(plan, (p) => early.has(p))!.label).toMatch(/pod2/);
  });

  it('pod-mtu sends one DF ping filling the pod MTU, its payload pattern the (16-byte) marker', () => {
    const plan = tracePlan(fixtureModel(), 'pod-mtu', MARK);
    expect(plan.marker).toHaveLength(16);
    expect(MARK.endsWith(plan.marker.slice(-6))).toBe(true);
    expect(plan.probe).toEqual([
      'ping',
      '-M',
      'do',
      '-c',
      '1',
      '-W',
      '2',
      '-s',
      '1472',
      '-p',
      Buffer.from(plan.marker).toString('hex'),
      '10.244.1.2',
    ]);
    expect(plan.first).toEqual({ proto: 'icmp', dst: '10.244.1.2' });
    // Under VXLAN the pod MTU is 50 bytes less.
    expect(tracePlan(fixtureModel({ cni: 'vxlan' }), 'pod-mtu', MARK).probe).toContain('1422');
  });

  it('vpc-native has no cbr0: the pod veths are the node side', () => {
    const m = fixtureModel({ cni: 'vpc-native' });
    const [p1, p2, p3] = m.pods;
    expect(tracePlan(m, 'pod-to-pod-cross-node', MARK).points).toEqual([
      'node1/pod1:eth0',
      `node1:${p1.hostVeth}`,
      'node1:eth0',
      'vpc:v-node1',
      'vpc:v-node2',
      'node2:eth0',
      `node2:${p3.hostVeth}`,
      'node2/pod3:eth0',
    ]);
    expect(tracePlan(m, 'pod-to-pod-same-node', MARK).points).toEqual([
      'node1/pod1:eth0',
      `node1:${p1.hostVeth}`,
      `node1:${p2.hostVeth}`,
      'node1/pod2:eth0',
    ]);
    expect(capturePoints(m).some((p) => p.endsWith(':cbr0'))).toBe(false);
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
    const m = withService({
      type: 'NodePort',
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
    });
    const plan = tracePlan(m, 'nodeport', MARK);
    expect(plan.from).toBe('vpc');
    expect(plan.probe[plan.probe.length - 1]).toBe(`http://10.0.1.13:30080/echo?msg=${MARK}`);
    expect(plan.points).toEqual(['vpc:v-node3', 'node3:eth0']);
    expect(plan.branches).toHaveLength(2);
  });
});

describe('edge paths', () => {
  it('outside-to-nodeport enters through the gateway at a node public IP', () => {
    const m = edgeModel();
    m.nodes[2].publicIP = '203.0.113.12';
    const plan = tracePlan(m, 'outside-to-nodeport', MARK);
    expect(plan.probe[plan.probe.length - 1]).toBe(`http://203.0.113.12:30080/echo?msg=${MARK}`);
    expect(plan.points).toEqual(['internet:eth0', 'igw:inet0', 'igw:vpc0', 'vpc:e-igw']);
    expect(plan.branches!.every((b) => b.points.slice(0, 2).join() === 'vpc:v-node3,node3:eth0')).toBe(true);
    expect(() => tracePlan(edgeModel(), 'outside-to-nodeport', MARK)).toThrow(/public IP/);
  });

  it('paths that need an edge say so without one', () => {
    for (const id of ['pod-to-internet', 'loadbalancer-to-service', 'ingress-to-service', 'outside-to-nodeport']) {
      expect(() => tracePlan(fixtureModel(), id, MARK)).toThrow(/no edge/);
    }
  });

  it('pod-to-internet leaves through the node, the VPC router and the gateway to the Internet host', () => {
    const plan = tracePlan(edgeModel(), 'pod-to-internet', MARK);
    expect(plan.from).toBe('node1/pod1');
    expect(plan.points).toEqual([
      'node1/pod1:eth0',
      'node1:cbr0',
      'node1:eth0',
      'vpc:v-node1',
      'vpc:e-igw',
      'igw:vpc0',
      'igw:inet0',
      'internet:eth0',
    ]);
    expect(plan.probe[plan.probe.length - 1]).toBe(`http://198.51.100.10:80/trace?trace=${MARK}`);
  });

  it('loadbalancer-to-service: Internet, gateway, VPC, load balancer, then every node to every backend', () => {
    const plan = tracePlan(edgeModel(), 'loadbalancer-to-service', MARK);
    expect(plan.from).toBe('internet');
    expect(plan.points).toEqual(['internet:eth0', 'igw:inet0', 'igw:vpc0', 'vpc:e-igw', 'vpc:e-lb', 'lb:vpc0']);
    expect(plan.probe[plan.probe.length - 1]).toBe(`http://203.0.113.100:80/echo?msg=${MARK}`);
    // 3 nodes x 2 backends (pod2 on node1, pod3 on node2).
    expect(plan.branches).toHaveLength(6);
    const viaNode3ToPod3 = plan.branches!.find((b) => b.label.startsWith('node node3') && b.label.includes('pod3'))!;
    expect(viaNode3ToPod3.points).toEqual([
      'vpc:v-node3',
      'node3:eth0',
      'vpc:v-node2',
      'node2:eth0',
      'node2:cbr0',
      'node2/pod3:eth0',
    ]);
    // Two branches end at pod3; the one whose entry node saw the request wins.
    const seen = new Set([...plan.points, ...viaNode3ToPod3.points]);
    expect(chooseBranch(plan, (p) => seen.has(p))).toBe(viaNode3ToPod3);
    // Sent straight to pod3's own node: the branch without the detour, though it sees fewer points.
    const direct = plan.branches!.find((b) => b.label.startsWith('node node2') && b.label.includes('pod3'))!;
    const seenDirect = new Set([...plan.points, ...direct.points]);
    expect(chooseBranch(plan, (p) => seenDirect.has(p))).toBe(direct);
  });

  it("ingress-to-service sends the rule's Host to the ingress address", () => {
    const plan = tracePlan(edgeModel(), 'ingress-to-service', MARK);
    expect(plan.points[plan.points.length - 1]).toBe('ingress:vpc0');
    expect(plan.probe).toContain('Host: web.example.com');
    expect(plan.probe[plan.probe.length - 1]).toBe(`http://203.0.113.200/echo?msg=${MARK}`);
    expect(plan.branches!.length).toBe(6);
  });

  it('dns asks the kube-dns VIP for a name carrying the marker, with a branch per DNS pod', () => {
    const plan = tracePlan(edgeModel(), 'dns', MARK);
    // A pod on a node without a DNS pod, so the query crosses the VPC.
    expect(plan.from).toBe('node1/pod1');
    expect(plan.probe).toEqual(['dig', '+tries=1', '+time=2', '@10.96.0.10', `${MARK}.default.svc.cluster.local`, 'A']);
    expect(plan.first).toEqual({ proto: 'udp', dst: '10.96.0.10', dport: 53 });
    expect(plan.branches!.map((b) => b.points[b.points.length - 1])).toEqual(['node2/kube-system/coredns:eth0']);
  });
});

describe('localhost-nodeport trace', () => {
  const np = () =>
    withService({
      type: 'NodePort',
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
    });

  it("iptables: from node1 to 127.0.0.1:<nodePort>, DNAT'd before routing: straight out to every backend", () => {
    const plan = tracePlan(np(), 'localhost-nodeport', MARK);
    expect(plan.from).toBe('node1');
    expect(plan.first).toEqual({ proto: 'tcp', dst: '127.0.0.1', dport: 30080 });
    expect(plan.probe[plan.probe.length - 1]).toBe(`http://127.0.0.1:30080/echo?msg=${MARK}`);
    expect(plan.points).toEqual([]);
    expect(plan.branches![0].points).toEqual(['node1:cbr0', 'node1/pod2:eth0']);
    expect(plan.branches!.map((b) => b.label)).toEqual([
      expect.stringContaining('pod2'),
      expect.stringContaining('pod3'),
    ]);
    expect(plan.branches![1].points[0]).toBe('node1:eth0'); // pod3 is on node2: out of node1's eth0
  });

  it('nftables: nothing to follow (kube-proxy refuses localhost NodePorts there)', () => {
    const m = np();
    m.cluster.proxy = 'nftables';
    expect(() => tracePlan(m, 'localhost-nodeport', MARK)).toThrow(/serves no NodePorts on 127\.0\.0\.1/);
  });
});

describe('network-policy trace', () => {
  it('traces a denied connection across nodes, naming the deciding policy as expected', () => {
    const plan = tracePlan(
      loadTopology('topologies/netpol/step-1.yaml'),
      'network-policy',
      'k8s-netlab-trace-0000abcd',
    );
    expect(plan.from).toBe('node1/x/a');
    expect(plan.to).toBe(
      'node2/x/b 80/TCP (expected denied by x/default-deny-ingress: ingress of x/b isolated by x/default-deny-ingress; no rule allows it)',
    );
    expect(plan.first).toEqual({ proto: 'tcp', dst: '10.244.1.2', dport: 80 });
    expect(plan.points[0]).toBe('node1/x/a:eth0');
  });
  it('is unavailable without policies', () => {
    expect(() =>
      tracePlan(loadTopology('topologies/netpol.yaml'), 'network-policy', 'k8s-netlab-trace-0000abcd'),
    ).toThrow(/no NetworkPolicy objects/);
  });
});
