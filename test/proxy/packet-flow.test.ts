/**
 * Cross-mode packet-flow test: the same table of (source, destination, expected endpoint,
 * expected client address) run against the real kernel with node n1's rules rendered in iptables
 * and in nftables mode. Both modes must give what Kubernetes specifies, hence the same results,
 * except where upstream documents a difference (localhost NodePorts: iptables only).
 * Throwaway namespaces only (see packet-flow.ts); never the host's.
 */
import type { ProxyMode } from '../../src/model/types';
import type { LabModel } from '../../src/model/types';
import { FLOW_CASES, canRunFlows, expected, flowModel, observed, runFlows, runUdpMove } from './packet-flow';

const env = canRunFlows();
// CI installs what this needs (scripts/setup-test-host.sh) and runs as root: no silent skip there.
const maybe = env.ok || process.env.CI === 'true' ? describe : describe.skip;
if (!env.ok) console.log(`packet-flow tests skipped: ${env.why}`);

maybe('packet flow through node n1 (real kernel, throwaway namespaces)', () => {
  const m = flowModel();
  const results: Partial<Record<ProxyMode, ReturnType<typeof runFlows>>> = {};

  for (const mode of ['iptables', 'nftables'] as const) {
    it(`${mode}: every case gives the endpoint and client address Kubernetes specifies`, () => {
      const got = runFlows(m, mode, FLOW_CASES);
      results[mode] = got;
      expect(got.map((r) => [r.name, observed(r)])).toEqual(FLOW_CASES.map((c) => [c.name, expected(c, mode)]));
      // "refused" means the kernel said so at once, not a timeout
      for (const r of got) if (r.exit === 7) expect(r.ms).toBeLessThan(2000);
    }, 150_000);
  }

  it('iptables and nftables agree on every case except the documented localhost NodePort one', () => {
    const ipt = results.iptables;
    const nft = results.nftables;
    if (!ipt || !nft) throw new Error('a mode run failed: see above');
    const differ = FLOW_CASES.filter(
      (c, i) => JSON.stringify(observed(ipt[i])) !== JSON.stringify(observed(nft[i])),
    ).map((c) => c.name);
    expect(differ).toEqual(['node -> 127.0.0.1:NodePort']);
  });

  it('iptables with --iptables-localhost-nodeports=false: 127.0.0.1:NodePort is refused at once', () => {
    const c = FLOW_CASES.filter((x) => x.to.startsWith('127.'));
    const [r] = runFlows(m, 'iptables', c, { localhostNodePorts: false });
    expect(observed(r)).toEqual({ refused: true });
  }, 150_000);
});

/** 172.30.0.16:81/UDP backed by b2 only (`before`), then b2 deleted and b1 the endpoint (`after`). */
function moverModels(): { before: LabModel; after: LabModel } {
  const mark = (m: LabModel, pods: string[]) => {
    m.services.find((s) => s.name === 'mover')!.selector = { mover: 'yes' };
    for (const p of m.pods) if (pods.includes(p.name)) p.labels = { ...p.labels, mover: 'yes' };
  };
  const before = flowModel((m) => mark(m, ['b2']));
  const after = flowModel((m) => {
    mark(m, ['b1']);
    m.pods = m.pods.filter((p) => p.name !== 'b2');
  });
  return { before, after };
}

maybe('UDP conntrack clean-up (kube-proxy CleanStaleEntries): a long-lived flow leaves a deleted endpoint', () => {
  for (const mode of ['iptables', 'nftables'] as const) {
    it(`${mode}: one client socket keeps sending; after b2 is deleted its flow moves to b1`, () => {
      const { before, after } = moverModels();
      const { replies, localPorts } = runUdpMove(before, after, mode);
      expect(localPorts).toHaveLength(1); // one socket, one source port, the whole time
      expect(replies[0]).toBe('b2');
      const firstB1 = replies.indexOf('b1');
      // it moved, and stayed moved
      expect(firstB1).toBeGreaterThan(0);
      expect(replies.slice(firstB1).every((r) => r === 'b1')).toBe(true);
      expect(replies.slice(0, firstB1).every((r) => r === 'b2' || r.startsWith('('))).toBe(true);
    }, 150_000);
  }
});
