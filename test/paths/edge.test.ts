import { parseConntrack } from '../../src/observe/conntrack';
import { sweepCount } from '../../src/observe/sweep';
import { podToInternet } from '../../src/paths/pod-to-internet/probes';
import { loadBalancerToService, outsideToNodePort } from '../../src/paths/loadbalancer/probes';
import { ProbeRunner } from '../../src/paths/common/types';
import { ExecResult } from '../../src/runtime/exec';
import { Target } from '../../src/plan/targets';
import { deployment, resolve, service, topo } from '../topology/helpers';

const affinity = {
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['node3'] }] },
        ],
      },
    },
  },
};
const model = resolve(
  topo({
    edge: {},
    objects: [
      deployment('web', 2, affinity),
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
const [n1, n2, n3] = model.nodes;
const pods = model.pods.filter((p) => p.name.startsWith('web'));

const res = (stdout: string, exitCode = 0): ExecResult =>
  ({ stdout, stderr: '', exitCode, failed: exitCode !== 0 }) as ExecResult;

/** A fake lab: handlers keyed by container + command text. */
function runner(h: (t: Target, cmd: string) => ExecResult): ProbeRunner {
  return { run: async (t, argv) => h(t, argv.join(' ')), sh: async (t, s) => h(t, s) };
}

describe('conntrack parser', () => {
  it('reads both tuples of an entry', () => {
    const [c] = parseConntrack(
      'tcp      6 118 TIME_WAIT src=10.244.0.2 dst=198.51.100.10 sport=39008 dport=80 src=198.51.100.10 dst=10.0.1.10 sport=80 dport=39008 [ASSURED] mark=0 use=1\nconntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n',
    );
    expect(c.state).toBe('TIME_WAIT');
    expect(c.orig).toEqual({ src: '10.244.0.2', dst: '198.51.100.10', sport: 39008, dport: 80 });
    expect(c.reply).toEqual({ src: '198.51.100.10', dst: '10.0.1.10', sport: 80, dport: 39008 });
    expect(
      parseConntrack(
        'udp      17 29 src=1.1.1.1 dst=2.2.2.2 sport=5 dport=53 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=53 dport=5 mark=0',
      )[0].reply.dport,
    ).toBe(5);
  });
});

describe('pod-to-internet', () => {
  const pod = model.pods.find((p) => p.node === 'node1')!;
  const probe = podToInternet.probes(model)[0];
  const ct = (src: string, sport: number, rdst: string, rdport: number) =>
    `tcp 6 118 TIME_WAIT src=${src} dst=198.51.100.10 sport=${sport} dport=80 src=198.51.100.10 dst=${rdst} sport=80 dport=${rdport} [ASSURED]`;

  it('passes on the public IP with SNAT evidence at the node and the gateway', async () => {
    const r = runner((t, cmd) => {
      if (cmd.startsWith('curl')) return res('203.0.113.10\n__CURL__ 200 198.51.100.10:80 10.244.0.2:40000');
      if (t.container === n1.container) return res(ct(pod.ip, 40000, n1.ip, 40001));
      if (t.container === model.edge!.igw.container) return res(ct(n1.ip, 40001, '203.0.113.10', 40001));
      return res('', 1);
    });
    const out = await probe.run(r);
    expect(out.reason).toBeUndefined();
    expect(out.ok).toBe(true);
    expect(out.evidence.observed.conntrackIgw).toContain('dst=203.0.113.10');
    expect(out.evidence.expected.hostSawClient).toBe('203.0.113.10');
  });

  it('fails when the host saw the node private IP (no gateway NAT) or the pod IP (no masquerade)', async () => {
    for (const [seen, why] of [
      [n1.ip, /did not NAT/],
      [pod.ip, /did not masquerade/],
    ] as const) {
      const out = await probe.run(
        runner((t, cmd) =>
          cmd.startsWith('curl') ? res(`${seen}\n__CURL__ 200 198.51.100.10:80 10.244.0.2:40000`) : res(''),
        ),
      );
      expect(out.ok).toBe(false);
      expect(out.reason).toMatch(why);
    }
  });

  it('fails without conntrack evidence at the gateway', async () => {
    const out = await probe.run(
      runner((t, cmd) =>
        cmd.startsWith('curl')
          ? res('203.0.113.10\n__CURL__ 200 198.51.100.10:80 10.244.0.2:40000')
          : t.container === n1.container
            ? res(ct(pod.ip, 40000, n1.ip, 40001))
            : res(''),
      ),
    );
    expect(out.ok).toBe(false);
    expect(out.reason).toMatch(/nothing observed: a conntrack entry on the gateway/);
  });
});

describe('loadbalancer-to-service', () => {
  const probes = loadBalancerToService.probes(model);
  const cluster = probes.find((p) => /Cluster/.test(p.name))!;
  const local = probes.find((p) => /Local\): client IP kept/.test(p.name))!;
  const drop = probes.find((p) => /has no endpoint/.test(p.name))!;
  const web = model.services.find((s) => s.name === 'web')!;
  const webLocal = model.services.find((s) => s.name === 'web-lb-local')!;

  it('makes probes for Cluster, Local and the drop on the node without a backend', () => {
    expect(probes.map((p) => p.path)).toEqual([
      'loadbalancer-to-service',
      'loadbalancer-to-service',
      'loadbalancer-to-service',
    ]);
    expect(drop.name).toMatch(/node3/);
    expect(outsideToNodePort.probes(model).map((p) => p.to)).toEqual([
      '203.0.113.10:30080',
      '203.0.113.11:30080',
      '203.0.113.12:30080',
    ]);
  });

  /** A fake LB: connection i goes to nodes[i % n], answered by pods[i % 2]. */
  function lbLab(
    entry: string,
    lbIP: string,
    nodes: typeof model.nodes,
    clientSeen: string,
    faults = '',
    healthy = nodes,
    answering = pods,
  ) {
    return runner((t, cmd) => {
      if (cmd.includes('faults.json')) return faults ? res(faults) : res('', 1);
      if (cmd.includes('lb-state.json'))
        return res(
          '1\n' +
            JSON.stringify({ updated: 1, services: { [entry]: { healthy: healthy.map((n) => n.name), checks: {} } } }),
        );
      if (cmd.includes('/hostname') && sweepCount(cmd) !== undefined) {
        const k = sweepCount(cmd)!;
        return res(
          Array.from(
            { length: k },
            (_, i) => `0 ${answering[i % answering.length].name} __CURL__ 200 ${lbIP}:80 198.51.100.10:${50000 + i}`,
          ).join('\n'),
        );
      }
      if (cmd.includes('/clientip')) return res(`${clientSeen}:1234\n__CURL__ 200 ${lbIP}:80 198.51.100.10:5`);
      if (cmd.startsWith('conntrack'))
        return res(
          Array.from({ length: 80 }, (_, i) => {
            const n = nodes[i % nodes.length];
            return `tcp 6 100 TIME_WAIT src=198.51.100.10 dst=${lbIP} sport=${50000 + i} dport=80 src=${n.ip} dst=198.51.100.10 sport=30080 dport=${50000 + i} [ASSURED]`;
          }).join('\n'),
        );
      return res('', 1);
    });
  }

  it('Cluster: passes when every node forwarded and backends saw node addresses; fails when a node never got one', async () => {
    const ok = await cluster.run(lbLab('default/web:http', web.loadBalancerIP!, [n1, n2, n3], n3.ip));
    expect(ok.reason).toBeUndefined();
    expect(ok.evidence.observed.forwardedByNode).toMatchObject({
      node1: expect.any(Number),
      node3: expect.any(Number),
    });
    const bad = await cluster.run(lbLab('default/web:http', web.loadBalancerIP!, [n1, n2], n1.ip));
    expect(bad.ok).toBe(false);
    expect(bad.reason).toMatch(/node3 never got a connection/);
    const noSnat = await cluster.run(lbLab('default/web:http', web.loadBalancerIP!, [n1, n2, n3], '198.51.100.10'));
    expect(noSnat.reason).toMatch(/not a node address/);
  });

  it('Local: passes with the client IP kept and only backend nodes used; fails when node3 got traffic or SNAT happened', async () => {
    const ok = await local.run(lbLab('default/web-lb-local:http', webLocal.loadBalancerIP!, [n1, n2], '198.51.100.10'));
    expect(ok.reason).toBeUndefined();
    const wrong = await local.run(
      lbLab('default/web-lb-local:http', webLocal.loadBalancerIP!, [n1, n2, n3], '198.51.100.10'),
    );
    expect(wrong.reason).toMatch(/node3, which hold no endpoint/);
    const snat = await local.run(lbLab('default/web-lb-local:http', webLocal.loadBalancerIP!, [n1, n2], n1.ip));
    expect(snat.reason).toMatch(/client IP preserved/);
  });

  it('lb-backend-down node2: passes when the LB dropped node2 and the others forward; fails when node2 still got traffic', async () => {
    const faults = JSON.stringify({ active: [{ id: 'f1', kind: 'lb-backend-down', target: 'node2' }] });
    const ip = web.loadBalancerIP!;
    const ok = await cluster.run(lbLab('default/web:http', ip, [n1, n3], n3.ip, faults));
    expect(ok.reason).toBeUndefined();
    expect(ok.evidence.expected.forwardingNodes).toEqual(['node1', 'node3']);
    const leaked = await cluster.run(lbLab('default/web:http', ip, [n1, n2, n3], n3.ip, faults, [n1, n3]));
    expect(leaked.reason).toMatch(/sent connections to node2, which it should have dropped/);
    const notDropped = await cluster.run(lbLab('default/web:http', ip, [n1, n3], n3.ip, faults, [n1, n2, n3]));
    expect(notDropped.reason).toMatch(/still counts node2 healthy/);
    // Without the fault the same traffic is a failure: node2 is expected to forward.
    expect((await cluster.run(lbLab('default/web:http', ip, [n1, n3], n3.ip))).reason).toMatch(/node2 never got/);
    const local = probes.find((p) => /Local\): client IP kept/.test(p.name))!;
    // ETP Local with node2 out: only node1's pod answers, and that is all that is expected.
    const onN1 = pods.filter((p) => p.node === 'node1');
    const l = await local.run(
      lbLab('default/web-lb-local:http', webLocal.loadBalancerIP!, [n1], '198.51.100.10', faults, [n1], onN1),
    );
    expect(l.evidence.expected.backends).toEqual(onN1.map((p) => p.name));
    expect(l.reason).toBeUndefined();
    const lbad = await local.run(
      lbLab('default/web-lb-local:http', webLocal.loadBalancerIP!, [n1, n2], '198.51.100.10', faults, [n1]),
    );
    expect(lbad.reason).toMatch(/node2, which it should have dropped/);
  });
});
