import { computeEndpoints } from '../../src/proxy/endpoints';
import { NFT_VMAP_LIMIT, buildNftState, endpointPickRules } from '../../src/proxy/nftables';
import { renderNftables, renderNftablesIncremental, serializeNft } from '../../src/proxy/nftables-text';
import { backend, model, node, overallScenario, service } from './fixtures';

// kube-proxy's expected transaction for TestOverallNFTablesRules (pkg/proxy/nftables/proxier_test.go),
// baseRules + the six services. Compared as a set of lines, as upstream's assertion does.
const UPSTREAM = `
add table ip kube-proxy { comment "rules for kube-proxy" ; }
add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }
add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }
add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }
add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }
add chain ip kube-proxy cluster-ips-check
add chain ip kube-proxy filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }
add chain ip kube-proxy filter-output-pre-dnat { type filter hook output priority -110 ; }
add chain ip kube-proxy filter-forward { type filter hook forward priority 0 ; }
add chain ip kube-proxy filter-input { type filter hook input priority 0 ; }
add chain ip kube-proxy filter-output { type filter hook output priority 0 ; }
add chain ip kube-proxy firewall-check
add chain ip kube-proxy mark-for-masquerade
add chain ip kube-proxy masquerading
add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }
add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
add chain ip kube-proxy nodeport-endpoints-check
add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }
add chain ip kube-proxy services
add chain ip kube-proxy service-endpoints-check
add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
add rule ip kube-proxy cluster-ips-check ip daddr { 172.30.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"
add rule ip kube-proxy filter-prerouting-pre-dnat ct state new jump firewall-check
add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check
add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output-pre-dnat ct state new jump firewall-check
add rule ip kube-proxy filter-output ct state new jump cluster-ips-check
add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
add rule ip kube-proxy masquerading mark set mark xor 0x4000
add rule ip kube-proxy masquerading masquerade fully-random
add rule ip kube-proxy nat-output jump services
add rule ip kube-proxy nat-postrouting jump masquerading
add rule ip kube-proxy nat-prerouting jump services
add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
add rule ip kube-proxy reject-chain reject
add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
add element ip kube-proxy nodeport-ips { 192.168.0.2 }
add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80
add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }
add chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade
add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80
add element ip kube-proxy cluster-ips { 172.30.0.41 }
add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
add chain ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80
add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 ip daddr 172.30.0.42 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 }
add chain ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80
add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"
add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"
add chain ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 ip saddr 10.180.0.2 jump mark-for-masquerade
add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80
add element ip kube-proxy cluster-ips { 172.30.0.42 }
add element ip kube-proxy service-ips { 172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy service-ips { 192.168.99.22 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }
add element ip kube-proxy no-endpoint-services { 1.2.3.4 . tcp . 80 comment "ns2/svc2:p80" : drop }
add element ip kube-proxy no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }
add chain ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80
add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 }
add chain ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80
add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 jump mark-for-masquerade
add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 goto service-4AT6LBPK-ns3/svc3/tcp/p80
add chain ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80
add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
add element ip kube-proxy cluster-ips { 172.30.0.43 }
add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }
add element ip kube-proxy service-nodeports { tcp . 3003 : goto external-4AT6LBPK-ns3/svc3/tcp/p80 }
add chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80
add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }
add chain ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80
add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 jump mark-for-masquerade
add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 goto service-LAUZTJTB-ns4/svc4/tcp/p80
add chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade
add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80
add chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade
add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80
add element ip kube-proxy cluster-ips { 172.30.0.44 }
add element ip kube-proxy service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }
add element ip kube-proxy service-ips { 192.168.99.33 . tcp . 80 : goto external-LAUZTJTB-ns4/svc4/tcp/p80 }
add set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
add chain ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80
add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip daddr 172.30.0.45 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 }
add chain ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80
add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 jump mark-for-masquerade
add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 goto service-HVFWP5L3-ns5/svc5/tcp/p80
add chain ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }
add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
add chain ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80
add rule ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr != { 203.0.113.0/25 } drop
add element ip kube-proxy cluster-ips { 172.30.0.45 }
add element ip kube-proxy service-ips { 172.30.0.45 . tcp . 80 : goto service-HVFWP5L3-ns5/svc5/tcp/p80 }
add element ip kube-proxy service-ips { 5.6.7.8 . tcp . 80 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
add element ip kube-proxy service-nodeports { tcp . 3002 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
add element ip kube-proxy firewall-ips { 5.6.7.8 . tcp . 80 : goto firewall-HVFWP5L3-ns5/svc5/tcp/p80 }
add element ip kube-proxy cluster-ips { 172.30.0.46 }
add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }
`;

const lines = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .sort();

/** Rules of one chain, in order. */
function rulesOf(text: string, chain: string): string[] {
  const p = `add rule ip kube-proxy ${chain} `;
  return text
    .split('\n')
    .filter((l) => l.startsWith(p))
    .map((l) => l.slice(p.length));
}

describe('renderNftables: kube-proxy TestOverallNFTablesRules scenario', () => {
  const { lab, extras } = overallScenario();
  const text = renderNftables(lab, 'test-node', computeEndpoints(lab), { serviceExtras: extras });

  it('starts by re-creating the table in the same transaction', () => {
    expect(text.split('\n').slice(0, 3)).toEqual([
      'add table ip kube-proxy',
      'delete table ip kube-proxy',
      'add table ip kube-proxy { comment "rules for kube-proxy" ; }',
    ]);
  });

  it('matches upstream line for line (as a set)', () => {
    expect(lines(text.split('\n').slice(2).join('\n'))).toEqual(lines(UPSTREAM));
  });

  it('keeps rule order inside chains', () => {
    expect(rulesOf(text, 'service-HVFWP5L3-ns5/svc5/tcp/p80')[1]).toMatch(/^ip saddr @affinity-/);
    expect(rulesOf(text, 'masquerading')).toEqual([
      'mark and 0x4000 == 0 return',
      'mark set mark xor 0x4000',
      'masquerade fully-random',
    ]);
  });

  it('declares every chain before any rule and every referenced chain is declared', () => {
    const all = text.split('\n');
    const firstRule = all.findIndex((l) => l.startsWith('add rule'));
    const lastChain = all.map((l) => l.startsWith('add chain')).lastIndexOf(true);
    expect(lastChain).toBeLessThan(firstRule);
    const declaredChains = new Set(all.filter((l) => l.startsWith('add chain')).map((l) => l.split(' ')[4]));
    for (const m of text.matchAll(/(?:goto|jump) (\S+)/g)) expect(declaredChains).toContain(m[1]);
  });
});

describe('traffic policies', () => {
  const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24'), node('n2', '192.168.0.3', '10.244.2.0/24')];
  const pods = [
    backend('default', 'web', 'w1', 'n1', '10.244.1.5'),
    backend('default', 'web', 'w2', 'n2', '10.244.2.5'),
  ];

  it('ITP Local uses local-<hash> chains and drops on nodes without a local endpoint', () => {
    const svc = service('default', 'web', '10.96.0.50', [{ name: 'http', port: 80 }], {
      internalTrafficPolicy: 'Local',
    });
    const lab = model(nodes, [svc], [pods[0]], '10.244.0.0/16');
    const n1 = buildNftState(lab, 'n1', computeEndpoints(lab));
    const local = Object.keys(n1.chains).find((c) => c.startsWith('local-'))!;
    expect(n1.elements['service-ips']['10.96.0.50 . tcp . 80']).toEqual({ value: `goto ${local}` });
    const n2 = buildNftState(lab, 'n2', computeEndpoints(lab));
    expect(n2.elements['no-endpoint-services']['10.96.0.50 . tcp . 80']).toEqual({
      value: 'drop',
      comment: 'default/web:http',
    });
    expect(Object.keys(n2.chains).some((c) => c.includes('default/web'))).toBe(false);
  });

  it('ETP Local with a local endpoint ends the external chain in the local chain', () => {
    const svc = service('default', 'web', '10.96.0.51', [{ port: 80, nodePort: 30080 }], {
      type: 'NodePort',
      externalTrafficPolicy: 'Local',
    });
    const lab = model(nodes, [svc], pods, '10.244.0.0/16');
    const s = buildNftState(lab, 'n1', computeEndpoints(lab));
    const ext = Object.keys(s.chains).find((c) => c.startsWith('external-'))!;
    expect(s.chains[ext].rules[s.chains[ext].rules.length - 1]).toMatch(/^goto local-/);
    const local = Object.keys(s.chains).find((c) => c.startsWith('local-'))!;
    expect(s.chains[local].rules).toEqual([
      expect.stringMatching(/^numgen random mod 1 vmap \{ 0 : goto endpoint-.*10\.244\.1\.5\/80 \}$/),
    ]);
  });
});

describe('renderNftablesIncremental', () => {
  const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24')];
  const a = service('default', 'a', '10.96.0.60', [{ port: 80 }]);
  const b = service('default', 'b', '10.96.0.61', [{ port: 80 }], {
    sessionAffinity: 'ClientIP',
    affinityTimeoutSeconds: 60,
  });
  const podsA = [backend('default', 'a', 'a1', 'n1', '10.244.1.2')];
  const podsB = [backend('default', 'b', 'b1', 'n1', '10.244.1.3')];
  const state = (svcs = [a, b], pods = [...podsA, ...podsB]) => {
    const lab = model(nodes, svcs, pods, '10.244.0.0/16');
    return buildNftState(lab, 'n1', computeEndpoints(lab));
  };

  it('is empty when nothing changed', () => {
    expect(renderNftablesIncremental(state(), state())).toBe('');
  });

  it('adds a new endpoint: new chain, refilled service chain, nothing else', () => {
    const prev = state();
    const next = state([a, b], [...podsA, ...podsB, backend('default', 'a', 'a2', 'n1', '10.244.1.9')]);
    const text = renderNftablesIncremental(prev, next);
    const out = text.trim().split('\n');
    const svcChain = Object.keys(next.chains).find((c) => c.startsWith('service-') && c.includes('default/a/'))!;
    const newEp = Object.keys(next.chains).find((c) => c.includes('10.244.1.9'))!;
    expect(out).toEqual([
      `flush chain ip kube-proxy ${svcChain}`,
      `add chain ip kube-proxy ${newEp}`,
      ...next.chains[svcChain].rules.map((r) => `add rule ip kube-proxy ${svcChain} ${r}`),
      ...next.chains[newEp].rules.map((r) => `add rule ip kube-proxy ${newEp} ${r}`),
    ]);
    expect(text).not.toContain('default/b');
  });

  it('removes a service: elements first, then flush, then delete chains and affinity sets', () => {
    const prev = state();
    const next = state([a], podsA);
    const out = renderNftablesIncremental(prev, next).trim().split('\n');
    const idx = (re: RegExp) => out.findIndex((l) => re.test(l));
    expect(out.filter((l) => l.startsWith('delete element'))).toEqual([
      'delete element ip kube-proxy cluster-ips { 10.96.0.61 }',
      'delete element ip kube-proxy service-ips { 10.96.0.61 . tcp . 80 }',
    ]);
    const bChains = Object.keys(prev.chains).filter((c) => c.includes('default/b/'));
    expect(bChains).toHaveLength(2);
    for (const c of bChains) {
      expect(idx(new RegExp(`^delete element`))).toBeLessThan(
        idx(new RegExp(`^flush chain ip kube-proxy ${c.replace(/[./]/g, '\\$&')}$`)),
      );
      expect(out).toContain(`delete chain ip kube-proxy ${c}`);
    }
    const set = Object.keys(prev.affinitySets)[0];
    expect(set).toMatch(/^affinity-.*default\/b\//);
    expect(idx(/^delete set/)).toBeGreaterThan(idx(/^flush chain/));
    expect(out).toContain(`delete set ip kube-proxy ${set}`);
    expect(out.some((l) => l.startsWith('add '))).toBe(false);
  });

  it('service losing its endpoints switches the map element to the reject verdict', () => {
    const prev = state();
    const next = state([a, b], podsB);
    const out = renderNftablesIncremental(prev, next).trim().split('\n');
    expect(out).toContain('delete element ip kube-proxy service-ips { 10.96.0.60 . tcp . 80 }');
    expect(out).toContain(
      'add element ip kube-proxy no-endpoint-services { 10.96.0.60 . tcp . 80 comment "default/a" : goto reject-chain }',
    );
  });

  it('re-creates an affinity set whose timeout changed and refills the chains using it', () => {
    const prev = state();
    const next = state([a, { ...b, affinityTimeoutSeconds: 90 }]);
    const out = renderNftablesIncremental(prev, next).trim().split('\n');
    const set = Object.keys(next.affinitySets)[0];
    expect(out).toContain(`delete set ip kube-proxy ${set}`);
    expect(out).toContain(`add set ip kube-proxy ${set} { type ipv4_addr ; flags dynamic,timeout ; timeout 90s ; }`);
    expect(out.filter((l) => l.startsWith('flush chain'))).toHaveLength(2); // service + endpoint chain of b
  });

  it('serializeNft round-trips the state it was given', () => {
    const s = state();
    expect(serializeNft(s)).toContain('add set ip kube-proxy affinity-');
  });
});

describe('endpoint choice above NFT_VMAP_LIMIT: numgen cascade instead of anonymous vmaps', () => {
  it('one vmap below the limit (kube-proxy layout)', () => {
    expect(endpointPickRules(['e0', 'e1'], false)).toEqual(['numgen random mod 2 vmap { 0 : goto e0 , 1 : goto e1 }']);
  });

  it('a cascade giving each endpoint 1/n, the last unconditional', () => {
    for (const n of [1, 2, 3, 5]) {
      const targets = Array.from({ length: n }, (_, i) => `e${i}`);
      const rules = endpointPickRules(targets, true);
      expect(rules).toHaveLength(n);
      expect(rules[n - 1]).toBe(`goto e${n - 1}`);
      // P(reach rule i) * P(rule i matches) must be 1/n for every endpoint
      let reach = 1;
      rules.forEach((r, i) => {
        const m = /^numgen random mod (\d+) == 0 goto (\S+)$/.exec(r);
        const p = m ? 1 / Number(m[1]) : 1;
        expect(m ? m[2] : r.slice('goto '.length)).toBe(targets[i]);
        expect(reach * p).toBeCloseTo(1 / n, 12);
        reach *= 1 - p;
      });
      expect(reach).toBeCloseTo(0, 12);
    }
  });

  const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24')];
  const lab = (n: number) => {
    const svcs = Array.from({ length: n }, (_, i) => service('default', `s${i}`, `10.96.0.${i + 10}`, [{ port: 80 }]));
    const pods = svcs.flatMap((s, i) => [
      backend('default', s.name, `p${i}a`, 'n1', `10.244.1.${2 * i + 2}`),
      backend('default', s.name, `p${i}b`, 'n1', `10.244.1.${2 * i + 3}`),
    ]);
    return model(nodes, svcs, pods, '10.244.0.0/16');
  };
  const serviceRules = (st: ReturnType<typeof buildNftState>) =>
    Object.entries(st.chains)
      .filter(([c]) => /^service-[A-Z2-7]{8}-/.test(c))
      .map(([, c]) => c.rules);

  it('switches every service chain once the count exceeds the limit, and nothing else', () => {
    const l = lab(4);
    const eps = computeEndpoints(l);
    const atLimit = buildNftState(l, 'n1', eps, { vmapLimit: 4 });
    const over = buildNftState(l, 'n1', eps, { vmapLimit: 3 });
    for (const rules of serviceRules(atLimit))
      expect(rules[rules.length - 1]).toMatch(
        /^numgen random mod 2 vmap \{ 0 : goto endpoint-.* , 1 : goto endpoint-.* \}$/,
      );
    for (const rules of serviceRules(over)) {
      expect(rules.slice(-2)).toEqual([
        expect.stringMatching(/^numgen random mod 2 == 0 goto endpoint-/),
        expect.stringMatching(/^goto endpoint-/),
      ]);
    }
    expect(serializeNft(over)).not.toContain('vmap {');
    // maps, elements, endpoint chains identical
    expect(over.elements).toEqual(atLimit.elements);
    for (const c of Object.keys(atLimit.chains).filter((c) => !/^service-[A-Z2-7]{8}-/.test(c)))
      expect(over.chains[c]).toEqual(atLimit.chains[c]);
    expect(NFT_VMAP_LIMIT).toBeGreaterThan(0);
    expect(serviceRules(buildNftState(l, 'n1', eps))[0].join('\n')).toContain('vmap {'); // default limit is above 4
  });
});
