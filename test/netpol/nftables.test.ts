import { spawnSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadTopology } from '../../src/topology/load';
import { renderNetpol, NETPOL_REMOVE } from '../../src/netpol/nftables';
import { itWithTools } from '../tool-gate';

const step3 = loadTopology('topologies/netpol/step-3.yaml');
const ip = (key: string) => step3.pods.find((p) => `${p.namespace}/${p.name}` === key)!.ip;
const veth = (key: string) => step3.pods.find((p) => `${p.namespace}/${p.name}` === key)!.hostVeth;

function chainOf(script: string, name: string): string[] {
  const lines = script.split('\n');
  const i = lines.findIndex((l) => l.trim() === `chain ${name} {`);
  if (i < 0) throw new Error(`no chain ${name} in\n${script}`);
  const end = lines.findIndex((l, j) => j > i && l.trim() === '}');
  return lines.slice(i + 1, end).map((l) => l.trim());
}

describe('NetworkPolicy nftables renderer', () => {
  it('renders nothing for a lab without policies', () => {
    expect(renderNetpol(loadTopology('topologies/netpol.yaml'), 'node1')).toMatchObject({
      script: '',
      chains: [],
      rules: 0,
      chainRules: [],
      forward: [],
    });
    expect(renderNetpol(loadTopology('topologies/guide.yaml'), 'node1').script).toBe('');
  });

  it('node1: one ingress chain per isolated local pod, policies in comments, a named drop counter', () => {
    const r = renderNetpol(step3, 'node1');
    // node1 holds x/a (ingress isolated), y/a (egress isolated), z/a (egress isolated)
    expect(r.chains.map((c) => `${c.dir} ${c.pod} ${c.policies.join(',')}`)).toEqual([
      'egress y/a y/a-egress-cidr',
      'egress z/a z/egress-to-c-only',
      'ingress x/a x/default-deny-ingress,x/allow-from-y-80,x/a-from-node2',
    ]);
    const ing = chainOf(r.script, `ingress-${veth('x/a')}`);
    expect(ing).toEqual([
      `ip saddr { ${ip('y/a')}, ${ip('y/b')}, ${ip('y/c')} } tcp dport 80 counter return comment "x/allow-from-y-80 ingress[0]"`,
      // ipBlock peers for outside traffic after node2's SNAT (eth0, VXLAN device).
      'ip saddr 10.0.1.11/32 tcp dport 80 counter return comment "x/a-from-node2 ingress[0]"',
      'ip saddr 10.244.1.0/32 tcp dport 80 counter return comment "x/a-from-node2 ingress[0]"',
      `update @drops-ingress { ip saddr . ip daddr . meta l4proto . th dport } counter name "drop-ingress-${veth('x/a')}" drop comment "x/a ingress isolated by x/default-deny-ingress,x/allow-from-y-80,x/a-from-node2"`,
    ]);
    expect(chainOf(r.script, `egress-${veth('y/a')}`)[0]).toBe(
      'ip daddr 10.244.0.0/16 ip daddr != 10.244.1.0/24 tcp dport 80-81 counter return comment "y/a-egress-cidr egress[0]"',
    );
    expect(chainOf(r.script, `egress-${veth('z/a')}`)[0]).toBe(
      `ip daddr ${ip('z/c')} counter return comment "z/egress-to-c-only egress[0]"`,
    );
    // egress jumps come before ingress jumps: a same-node packet must pass both
    const fwd = chainOf(r.script, 'forward');
    expect(fwd[0]).toMatch(/^type filter hook forward priority filter; policy accept;/);
    expect(fwd[1]).toBe('ct state established,related accept');
    expect(fwd.slice(2).map((l) => l.split(' jump ')[0])).toEqual([
      `ip saddr ${ip('y/a')}`,
      `ip saddr ${ip('z/a')}`,
      `ip daddr ${ip('x/a')}`,
    ]);
  });

  it('named ports resolve on the protected pod (ingress) and namespaceSelector {} with podSelector selects pods c everywhere', () => {
    const ing = chainOf(renderNetpol(step3, 'node2').script, `ingress-${veth('x/b')}`);
    expect(ing).toContain(
      `ip saddr { ${ip('x/c')}, ${ip('y/c')}, ${ip('z/c')} } udp dport 81 counter return comment "x/allow-c-to-b-named ingress[0]"`,
    );
  });

  it('an empty pod peer renders no rule (the chain still drops)', () => {
    const m = {
      ...step3,
      networkPolicies: [
        {
          name: 'nobody',
          namespace: 'x',
          podSelector: {},
          policyTypes: ['Ingress' as const],
          ingress: [{ peers: [{ podSelector: { matchLabels: { pod: 'zzz' } } }] }],
          egress: [],
        },
      ],
    };
    const ing = chainOf(renderNetpol(m, 'node1').script, `ingress-${veth('x/a')}`);
    expect(ing).toHaveLength(1);
    expect(ing[0]).toMatch(/ drop comment "x\/a ingress isolated by x\/nobody"$/);
  });

  it('egress named ports resolve on each destination pod', () => {
    const m = {
      ...step3,
      networkPolicies: [
        {
          name: 'eg-named',
          namespace: 'x',
          podSelector: { matchLabels: { pod: 'a' } },
          policyTypes: ['Egress' as const],
          ingress: [],
          egress: [{ ports: [{ protocol: 'UDP' as const, port: 'serve-80-udp' }] }],
        },
      ],
    };
    const eg = chainOf(renderNetpol(m, 'node1').script, `egress-${veth('x/a')}`);
    const all = step3.pods.map((p) => p.ip).sort();
    expect(eg[0]).toBe(`ip daddr { ${all.join(', ')} } udp dport 80 counter return comment "x/eg-named egress[0]"`);
  });

  const canNetns = spawnSync('sh', ['-c', 'unshare --net true && command -v nft'], { stdio: 'ignore' }).status === 0;
  itWithTools(
    canNetns ? undefined : 'cannot create a network namespace with nft (needs root and nftables)',
    'nft -c of the NetworkPolicy table',
  )('every node of step 3 loads in a fresh netns, twice (replace), and is removed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-check-'));
    const files = step3.nodes.map((n) => {
      const f = join(dir, `${n.name}.nft`);
      writeFileSync(f, renderNetpol(step3, n.name).script);
      return f;
    });
    writeFileSync(join(dir, 'remove.nft'), NETPOL_REMOVE);
    const script = files
      .map(
        (f) =>
          `nft -f ${f} && nft -f ${f} && nft list table inet k8s-netlab-netpol >/dev/null && nft -f ${dir}/remove.nft && ! nft list table inet k8s-netlab-netpol 2>/dev/null`,
      )
      .join(' && ');
    const r = spawnSync('unshare', ['--net', 'sh', '-ec', script], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});
