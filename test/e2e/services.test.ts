/**
 * Services in each proxy mode the kernel has: the same probes pass, and the node holds the rules
 * in the layout of that mode (iptables chains, the nftables table).
 */
import { GUIDE, lab, labName } from './helpers';

jest.setTimeout(600_000);

const MODES: Array<{ name: string; args: string[]; rules: [string[], RegExp] }> = [
  { name: labName('e2e-svc-nft'), args: ['--proxy', 'nftables'], rules: [['nft', 'list', 'table', 'ip', 'kube-proxy'], /numgen random mod 2 vmap/] },
  { name: labName('e2e-svc-legacy'), args: ['--proxy', 'iptables', '--iptables-backend', 'legacy'], rules: [['iptables-legacy-save', '-t', 'nat'], /-m statistic --mode random --probability 0\.5/] },
];

describe.each(MODES)('proxy mode $args', ({ name, args, rules }) => {
  afterAll(async () => {
    await lab(['down', '--name', name]);
  });
  it('brings the guide up and passes every service probe', async () => {
    const up = await lab(['up', '-t', GUIDE, '--name', name, '--no-verify', ...args]);
    expect(up.exitCode).toBe(0);
    const v = await lab(['verify', '--name', name, '--json', '--path', 'pod-to-service', 'service-to-pod', 'nodeport']);
    const doc = JSON.parse(v.stdout);
    const failed = doc.probes.filter((p: { ok: boolean }) => !p.ok);
    expect(failed).toEqual([]);
    expect(new Set(doc.probes.map((p: { path: string }) => p.path))).toEqual(new Set(['pod-to-service', 'service-to-pod', 'nodeport']));
  });
  it('holds the rules in the layout of its mode on every node', async () => {
    for (const node of ['node1', 'node2', 'node3']) {
      const r = await lab(['exec', '--name', name, node, '--', ...rules[0]]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(rules[1]);
    }
  });
});
