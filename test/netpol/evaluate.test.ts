/**
 * The oracle against the Kubernetes "Network Policies" concept page (v1.31) and scenarios of the
 * upstream e2e suite (test/e2e/network/netpol/network_policy.go): namespaces x, y, z with pods a,
 * b, c (label pod=<name>, namespace label ns=<name>), ports 80 and 81, TCP and UDP.
 */
import { evaluate, EvalPod, EvalWorld, selectorMatches } from '../../src/netpol/evaluate';
import type { LabelSelector, NetworkPolicyModel } from '../../src/model/netpol';

const NS = ['x', 'y', 'z'];
const NAMES = ['a', 'b', 'c'];
const pods: EvalPod[] = NS.flatMap((ns, i) =>
  NAMES.map((n, j) => ({
    namespace: ns,
    name: n,
    ip: `10.244.${j}.${10 + i}`,
    node: `node${j + 1}`,
    labels: { pod: n },
    ports: [80, 81].flatMap((p) =>
      ['TCP', 'UDP'].map((proto) => ({ name: `serve-${p}-${proto.toLowerCase()}`, containerPort: p, protocol: proto })),
    ),
  })),
);
const P = (key: string) => ({ pod: pods.find((p) => `${p.namespace}/${p.name}` === key)! });
const world = (...policies: NetworkPolicyModel[]): EvalWorld => ({
  policies,
  namespaceLabels: { x: { ns: 'x' }, y: { ns: 'y' }, z: { ns: 'z' } },
});
const pol = (name: string, rest: Partial<NetworkPolicyModel>, namespace = 'x'): NetworkPolicyModel => ({
  name,
  namespace,
  podSelector: {},
  policyTypes: ['Ingress'],
  ingress: [],
  egress: [],
  ...rest,
});

/** The reachability matrix as upstream prints it: 9 rows of 9 cells, '.' allowed, 'X' denied. */
function matrix(w: EvalWorld, port: number, proto: 'TCP' | 'UDP'): string[] {
  return pods.map((s) =>
    pods.map((d) => (evaluate(w, { pod: s }, { pod: d }, port, proto).allowed ? '.' : 'X')).join(''),
  );
}
const ALL = Array(9).fill('.........');
const row = (cells: string) => cells.replace(/ /g, '');

describe('label selectors', () => {
  it('matchLabels and every operator', () => {
    const l = { pod: 'a', tier: 'web' };
    expect(selectorMatches({}, l)).toBe(true);
    expect(selectorMatches({ matchLabels: { pod: 'a' } }, l)).toBe(true);
    expect(selectorMatches({ matchLabels: { pod: 'b' } }, l)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'pod', operator: 'In', values: ['a', 'b'] }] }, l)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'pod', operator: 'NotIn', values: ['a'] }] }, l)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['a'] }] }, l)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, l)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, l)).toBe(false);
    expect(
      selectorMatches(
        { matchLabels: { pod: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] },
        l,
      ),
    ).toBe(false);
  });
});

describe('NetworkPolicy oracle', () => {
  it('no policy: everything reaches everything', () => {
    expect(matrix(world(), 80, 'TCP')).toEqual(ALL);
  });

  it('default deny ingress in x: nothing reaches x, x still reaches out', () => {
    const m = matrix(world(pol('deny-ingress', {})), 80, 'TCP');
    // loopback (a pod to itself) stays allowed, as upstream's AllowLoopback
    expect(m).toEqual(['.XX......', 'X.X......', 'XX.......', ...Array(6).fill('XXX......')]);
    const v = evaluate(world(pol('deny-ingress', {})), P('y/a'), P('x/b'), 80, 'TCP');
    expect(v.allowed).toBe(false);
    expect(v.deciding).toEqual(['x/deny-ingress']);
    expect(v.reason).toMatch(/ingress of x\/b isolated by x\/deny-ingress/);
  });

  it('default deny egress in x (egress: [] with policyTypes Egress)', () => {
    const m = matrix(world(pol('deny-egress', { policyTypes: ['Egress'] })), 80, 'TCP');
    expect(m).toEqual(['.XXXXXXXX', 'X.XXXXXXX', 'XX.XXXXXX', ...Array(6).fill('.........')]);
  });

  it('allow-all ingress ({}) overrides a default deny (union)', () => {
    const w = world(pol('deny', {}), pol('allow-all', { ingress: [{}] }));
    expect(matrix(w, 81, 'UDP')).toEqual(ALL);
    expect(evaluate(w, P('z/c'), P('x/a'), 81, 'UDP').deciding).toEqual(['x/allow-all']);
  });

  it('from pods of the same namespace (podSelector alone)', () => {
    const w = world(
      pol('from-b', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ peers: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
      }),
    );
    // only x/b reaches x/a; y/b does not (podSelector alone means the policy's namespace)
    const m = matrix(w, 80, 'TCP');
    expect(m.map((r) => r[0])).toEqual(['.', '.', 'X', 'X', 'X', 'X', 'X', 'X', 'X']); // x/a to itself: loopback
    expect(m.every((r) => r.slice(1) === '........')).toBe(true);
  });

  it('from a namespace (namespaceSelector alone), by a custom label and by kubernetes.io/metadata.name', () => {
    for (const sel of [
      { matchLabels: { ns: 'y' } },
      { matchLabels: { 'kubernetes.io/metadata.name': 'y' } },
    ] as LabelSelector[]) {
      const w = world(pol('from-y', { ingress: [{ peers: [{ namespaceSelector: sel }] }] }));
      expect(matrix(w, 80, 'TCP')).toEqual([
        '.XX......',
        'X.X......',
        'XX.......',
        ...Array(3).fill('.........'),
        ...Array(3).fill('XXX......'),
      ]);
    }
  });

  it('namespaceSelector with matchExpressions NotIn', () => {
    const w = world(
      pol('not-x', {
        ingress: [
          { peers: [{ namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['x'] }] } }] },
        ],
      }),
    );
    expect(matrix(w, 80, 'TCP').slice(0, 4)).toEqual(['.XX......', 'X.X......', 'XX.......', '.........']);
  });

  it('podSelector AND namespaceSelector in one peer vs OR in two peers', () => {
    const and = world(
      pol('and', {
        ingress: [
          { peers: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }] },
        ],
      }),
    );
    const or = world(
      pol('or', {
        ingress: [
          {
            peers: [
              { namespaceSelector: { matchLabels: { ns: 'y' } } },
              { podSelector: { matchLabels: { pod: 'b' } } },
            ],
          },
        ],
      }),
    );
    // rows x/a x/b x/c y/a y/b y/c z/a z/b z/c, columns' first three cells are x's pods
    expect(matrix(and, 80, 'TCP').map((r) => r.slice(0, 3))).toEqual([
      '.XX',
      'X.X',
      'XX.',
      'XXX',
      '...',
      'XXX',
      'XXX',
      'XXX',
      'XXX',
    ]);
    expect(matrix(or, 80, 'TCP').map((r) => r.slice(0, 3))).toEqual([
      '.XX',
      '...',
      'XX.',
      '...',
      '...',
      '...',
      'XXX',
      'XXX',
      'XXX',
    ]);
  });

  it('ports: only 80/TCP allowed; UDP on the same port and 81 denied', () => {
    const w = world(pol('port-80', { ingress: [{ ports: [{ protocol: 'TCP', port: 80 }] }] }));
    expect(evaluate(w, P('y/a'), P('x/a'), 80, 'TCP').allowed).toBe(true);
    expect(evaluate(w, P('y/a'), P('x/a'), 80, 'UDP').allowed).toBe(false);
    expect(evaluate(w, P('y/a'), P('x/a'), 81, 'TCP').allowed).toBe(false);
  });

  it('a rule with only a protocol allows every port of it', () => {
    const w = world(pol('udp-any', { ingress: [{ ports: [{ protocol: 'UDP' }] }] }));
    expect(evaluate(w, P('y/a'), P('x/a'), 81, 'UDP').allowed).toBe(true);
    expect(evaluate(w, P('y/a'), P('x/a'), 81, 'TCP').allowed).toBe(false);
  });

  it('named port resolves on the destination pod', () => {
    const w = world(pol('named', { ingress: [{ ports: [{ protocol: 'TCP', port: 'serve-81-tcp' }] }] }));
    expect(evaluate(w, P('y/a'), P('x/a'), 81, 'TCP').allowed).toBe(true);
    expect(evaluate(w, P('y/a'), P('x/a'), 80, 'TCP').allowed).toBe(false);
    // a pod without that name is not reachable on 81 either
    const w2 = world(pol('named-none', { ingress: [{ ports: [{ protocol: 'TCP', port: 'serve-99-tcp' }] }] }));
    expect(evaluate(w2, P('y/a'), P('x/a'), 81, 'TCP').allowed).toBe(false);
  });

  it('named port in egress resolves on the destination, not the source', () => {
    const src = { pod: { ...P('x/a').pod, ports: [] } };
    const w = world(
      pol('eg-named', { policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP', port: 'serve-80-udp' }] }] }),
    );
    expect(evaluate(w, src, P('y/b'), 80, 'UDP').allowed).toBe(true);
    expect(evaluate(w, src, P('y/b'), 81, 'UDP').allowed).toBe(false);
  });

  it('endPort makes a range', () => {
    const w = world(pol('range', { ingress: [{ ports: [{ protocol: 'TCP', port: 80, endPort: 81 }] }] }));
    expect(evaluate(w, P('y/a'), P('x/a'), 80, 'TCP').allowed).toBe(true);
    expect(evaluate(w, P('y/a'), P('x/a'), 81, 'TCP').allowed).toBe(true);
    const w2 = world(pol('range2', { ingress: [{ ports: [{ protocol: 'TCP', port: 70, endPort: 80 }] }] }));
    expect(evaluate(w2, P('y/a'), P('x/a'), 81, 'TCP').allowed).toBe(false);
  });

  it('ipBlock with except (egress to a CIDR but not the excepted pod)', () => {
    // y/a is 10.244.0.11; allow 10.244.0.0/16 except 10.244.0.11/32
    const w = world(
      pol('cidr', {
        podSelector: { matchLabels: { pod: 'a' } },
        policyTypes: ['Egress'],
        egress: [{ peers: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.0.11/32'] } }] }],
      }),
    );
    expect(evaluate(w, P('x/a'), P('y/b'), 80, 'TCP').allowed).toBe(true);
    const v = evaluate(w, P('x/a'), P('y/a'), 80, 'TCP');
    expect(v.allowed).toBe(false);
    expect(v.deciding).toEqual(['x/cidr']);
    // an address outside the cidr
    expect(evaluate(w, P('x/a'), { host: { ip: '192.0.2.1' } }, 80, 'TCP').allowed).toBe(false);
  });

  it('an IP in both cidr and except of two peers is allowed by the other peer (upstream: overlapping IPBlock.CIDR and IPBlock.Except)', () => {
    const w = world(
      pol('overlap', {
        podSelector: { matchLabels: { pod: 'a' } },
        policyTypes: ['Egress'],
        egress: [
          {
            peers: [
              { ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.0.11/32'] } },
              { ipBlock: { cidr: '10.244.0.11/32' } },
            ],
          },
        ],
      }),
    );
    expect(evaluate(w, P('x/a'), P('y/a'), 80, 'TCP').allowed).toBe(true);
  });

  it('egress to DNS only: UDP 53 to kube-system allowed, pods denied', () => {
    const dns: EvalPod = {
      namespace: 'kube-system',
      name: 'coredns-1',
      ip: '10.244.2.2',
      node: 'node3',
      labels: { 'k8s-app': 'kube-dns' },
      ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }],
    };
    const w = world(
      pol('dns-only', {
        policyTypes: ['Egress'],
        egress: [
          {
            peers: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
            ],
            ports: [{ protocol: 'UDP', port: 53 }],
          },
        ],
      }),
    );
    expect(evaluate(w, P('x/a'), { pod: dns }, 53, 'UDP').allowed).toBe(true);
    expect(evaluate(w, P('x/a'), { pod: dns }, 53, 'TCP').allowed).toBe(false);
    expect(matrix(w, 80, 'TCP').slice(0, 3)).toEqual(['.XXXXXXXX', 'X.XXXXXXX', 'XX.XXXXXX']);
  });

  it('client-side egress deny wins over a server that allows (upstream: denying of egress on the client side)', () => {
    const w = world(pol('deny-egress-y', { policyTypes: ['Egress'] }, 'y'), pol('allow-ingress-x', { ingress: [{}] }));
    const v = evaluate(w, P('y/a'), P('x/a'), 80, 'TCP');
    expect(v.allowed).toBe(false);
    expect(v.deciding).toEqual(['y/deny-egress-y']);
    expect(v.ingress.allowed).toBe(true);
  });

  it('ingress and egress isolate independently', () => {
    const w = world(pol('eg', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'] }));
    expect(evaluate(w, P('y/a'), P('x/a'), 80, 'TCP').allowed).toBe(true); // x/a's ingress open
    expect(evaluate(w, P('x/a'), P('y/a'), 80, 'TCP').allowed).toBe(false);
  });

  it('stacked policies with overlapping podSelectors are a union', () => {
    const w = world(
      pol('p80', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ protocol: 'TCP', port: 80 }] }] }),
      pol('p81', {
        podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['a', 'b'] }] },
        ingress: [{ ports: [{ protocol: 'TCP', port: 81 }] }],
      }),
    );
    expect(evaluate(w, P('z/c'), P('x/a'), 80, 'TCP').deciding).toEqual(['x/p80']);
    expect(evaluate(w, P('z/c'), P('x/a'), 81, 'TCP').deciding).toEqual(['x/p81']);
    expect(evaluate(w, P('z/c'), P('x/b'), 80, 'TCP').allowed).toBe(false);
    expect(evaluate(w, P('z/c'), P('x/b'), 80, 'TCP').deciding).toEqual(['x/p81']);
  });

  it("a pod's own node always reaches it; another node only if a rule allows", () => {
    const w = world(pol('deny', {}));
    expect(evaluate(w, { host: { ip: '10.0.1.10', node: 'node1' } }, P('x/a'), 80, 'TCP').allowed).toBe(true); // x/a on node1
    expect(evaluate(w, { host: { ip: '10.0.1.11', node: 'node2' } }, P('x/a'), 80, 'TCP').allowed).toBe(false);
  });

  it('a pod reaches itself (loopback) even when isolated both ways', () => {
    const v = evaluate(world(pol('deny-all', { policyTypes: ['Ingress', 'Egress'] })), P('x/a'), P('x/a'), 80, 'TCP');
    expect(v.allowed).toBe(true);
    expect(v.reason).toMatch(/loopback/);
  });

  it('a policy in another namespace does not select pods of x', () => {
    const w = world(pol('deny-y', {}, 'y'));
    expect(row(matrix(w, 80, 'TCP')[0])).toBe('...XXX...');
  });
});
