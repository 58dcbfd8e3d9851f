/** The outside client's row of the network-policy matrix, judged on fake observations: a pass, and fails. */
import { loadTopology } from '../../src/topology/load';
import {
  outsideCells,
  outsideProbe,
  networkPolicyWithOutside as networkPolicyPath,
} from '../../src/paths/network-policy/outside';
import { Target } from '../../src/plan/targets';
import { fakeRunner } from '../fixtures/fake-runner';

const m = loadTopology('topologies/netpol/step-3.yaml');
const xa = m.pods.find((p) => p.namespace === 'x' && p.name === 'a')!;
const nodeOf = (ip: string) => m.nodes.find((n) => n.ip === ip)!.name;

interface Fake {
  /** Answer for (entry node, nodePort) or undefined: no answer. */
  answer(entry: string, nodePort: number): string | undefined;
  /** The source the backend node's drop set counts for (entry, nodePort), or undefined: not dropped. */
  dropSrc(entry: string, nodePort: number): string | undefined;
}

function lab(f: Fake) {
  // Each entry node's turn adds its drops to x/a's node's set (counters only grow).
  const counted: Record<string, number> = {};
  return fakeRunner((t: Target, cmd: string) => {
    if (cmd.includes('python3 - ')) {
      const specs = cmd
        .split('<<')[0]
        .split(' ')
        .filter((s) => /:\d+\/(tcp|udp)$/.test(s));
      for (const s of specs) {
        const [, ip, port] = /^(.*):(\d+)\/(tcp|udp)$/.exec(s)!;
        const c = outsideCells(m).find((x) => x.nodeIP === ip && x.nodePort === Number(port))!;
        const src = f.dropSrc(c.node, c.nodePort);
        if (src) {
          const k = `${src} ${c.protocol.toLowerCase()} ${c.port}`;
          counted[k] = (counted[k] ?? 0) + 1;
        }
      }
      return {
        stdout: specs
          .map((s) => {
            const [, ip, port] = /^(.*):(\d+)\/(tcp|udp)$/.exec(s)!;
            const a = f.answer(nodeOf(ip), Number(port));
            return a !== undefined ? `${s} ok ${a}` : `${s} fail TimeoutError timed out`;
          })
          .join('\n'),
      };
    }
    if (cmd.includes('drops-ingress')) {
      if (t.id !== xa.node) return { stdout: '' };
      const elem = Object.entries(counted).map(([k, n]) => {
        const [src, proto, port] = k.split(' ');
        return { elem: { val: { concat: [src, xa.ip, proto, Number(port)] }, counter: { packets: n } } };
      });
      return { stdout: JSON.stringify({ nftables: [{ set: { name: 'drops-ingress', elem } }] }) };
    }
    return { stdout: '' };
  });
}

/** What the model says (src/netpol/outside.ts) for vpc-routes: node2 admitted on 80/TCP, the rest dropped. */
const sees = (entry: string) => (entry === 'node1' ? '10.0.1.1' : m.nodes.find((n) => n.name === entry)!.ip);
const truth: Fake = {
  answer: (entry, port) => (entry === 'node2' && port === 30080 ? 'a' : undefined),
  dropSrc: (entry, port) => (entry === 'node2' && port === 30080 ? undefined : sees(entry)),
};

describe('network-policy: the outside client row', () => {
  it('6 cells: x/a-nodeport on every node, 80/TCP and 81/UDP; part of the path only when the lab has policies', () => {
    expect(outsideCells(m).map((c) => `${c.node}:${c.nodePort}/${c.protocol}->${c.port}`)).toEqual([
      'node1:30080/TCP->80',
      'node2:30080/TCP->80',
      'node3:30080/TCP->80',
      'node1:30081/UDP->81',
      'node2:30081/UDP->81',
      'node3:30081/UDP->81',
    ]);
    expect(networkPolicyPath.probes(m).filter((p) => p.from === 'vpc')).toHaveLength(1);
    expect(networkPolicyPath.probes(loadTopology('topologies/netpol.yaml'))).toEqual([]);
  });

  it('passes when the answers and the counted sources are what the model says', async () => {
    const r = await outsideProbe(m)!.run(lab(truth));
    expect(r.reason).toBeUndefined();
    expect(r.verdict).toBe('pass');
    const obs = r.evidence.observed.cells as Array<{ verdict: string; policySaw?: string }>;
    expect(obs.map((o) => o.policySaw ?? o.verdict)).toEqual([
      '10.0.1.1',
      'allowed',
      '10.0.1.12',
      '10.0.1.1',
      '10.0.1.11',
      '10.0.1.12',
    ]);
  });

  it('fails when a denial was counted with another source than the policy should see (SNAT model wrong)', async () => {
    // As if node1 had masqueraded before the policy: the drop set names node1's cbr0, not the client.
    const r = await outsideProbe(m)!.run(
      lab({ ...truth, dropSrc: (e, p) => (e === 'node1' ? '10.244.0.1' : truth.dropSrc(e, p)) }),
    );
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/x\/a via node1 .*denied as expected, but the policy saw 10\.244\.0\.1, not 10\.0\.1\.1/);
  });

  it('fails when a cell the policy should deny is answered, or a silent cell has no drop counted', async () => {
    const open = await outsideProbe(m)!.run(lab({ ...truth, answer: () => 'a', dropSrc: () => undefined }));
    expect(open.verdict).toBe('fail');
    expect(open.reason).toMatch(/5 of 6 outside cells differ/);
    const silent = await outsideProbe(m)!.run(lab({ answer: () => undefined, dropSrc: () => undefined }));
    expect(silent.verdict).toBe('fail');
    expect(silent.reason).toMatch(/no policy drop counted/);
  });
});
