import { computeEndpoints } from '../../src/proxy/endpoints';
import { buildIptablesRuleset, probability } from '../../src/proxy/iptables';
import {
  changedServiceChains,
  iptablesChainNames,
  parseIptablesSaveChains,
  renderIptables,
  renderIptablesPartial,
  NFT_CHAIN_LIST_LIMIT,
  serializeIptables,
} from '../../src/proxy/iptables-restore';
import { renderIptablesBootstrap, IPTABLES_JUMPS } from '../../src/proxy/iptables-bootstrap';
import { backend, model, node, overallScenario, service } from './fixtures';

/** Rule lines of one chain in restore text, in order. */
function chain(text: string, table: 'filter' | 'nat', name: string): string[] {
  const body = text.split(`*${table}\n`)[1].split('COMMIT')[0];
  return body.split('\n').filter((l) => l.startsWith(`-A ${name} `));
}

function declared(text: string, table: 'filter' | 'nat'): string[] {
  const body = text.split(`*${table}\n`)[1].split('COMMIT')[0];
  return body
    .split('\n')
    .filter((l) => l.startsWith(':'))
    .map((l) => l.slice(1).split(' ')[0]);
}

describe('renderIptables: kube-proxy TestOverallIPTablesRules scenario', () => {
  const { lab, extras } = overallScenario();
  const text = renderIptables(lab, 'test-node', computeEndpoints(lab), { serviceExtras: extras });

  // Lines from upstream's expected output (the nfacct lines are left out: the lab does not use nfacct).
  it('captures service IPs in nat KUBE-SERVICES with the NodePort jump last', () => {
    expect(chain(text, 'nat', 'KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
      '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT',
      '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT',
      '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT',
      '-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK',
      '-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK',
      '-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK',
      '-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C',
      '-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C',
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be ' +
        'the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    ]);
  });

  it('writes the per-service chains exactly as upstream', () => {
    const want: Record<string, string[]> = {
      'KUBE-EXT-GNZBNJ2PO5MGZ6GT': [
        '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT',
        '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ' +
          'ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ',
        '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 ' +
          'external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT',
      ],
      'KUBE-EXT-X27LE4BHSL4DOUIK': [
        '-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ',
        '-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK',
      ],
      'KUBE-FW-NUKIZ6OKUXPJNT4C': [
        '-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C',
        '-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"',
      ],
      'KUBE-SEP-I77PXRDZVX7PMWMN': [
        '-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name ' +
          'KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80',
      ],
      'KUBE-SVC-4SW47YFZTEDKD3PK': [
        '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m ' +
          'statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC',
        '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ',
      ],
      'KUBE-SVC-NUKIZ6OKUXPJNT4C': [
        '-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m ' +
          'recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j ' +
          'KUBE-SEP-I77PXRDZVX7PMWMN',
        '-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN',
      ],
      'KUBE-NODEPORTS': [
        '-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT',
        '-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK',
        '-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C',
      ],
    };
    for (const [name, rules] of Object.entries(want)) expect(chain(text, 'nat', name)).toEqual(rules);
    // ns2/svc2 has ETP Local and no endpoint on this node: no SVL chain, EXT does not fall through.
    expect(declared(text, 'nat')).not.toContain('KUBE-SVL-GNZBNJ2PO5MGZ6GT');
  });

  it('writes the filter table as upstream', () => {
    expect(chain(text, 'filter', 'KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT',
    ]);
    expect(chain(text, 'filter', 'KUBE-EXTERNAL-SERVICES')).toEqual([
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP',
    ]);
    expect(chain(text, 'filter', 'KUBE-NODEPORTS')).toEqual([
      '-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT',
    ]);
    expect(chain(text, 'filter', 'KUBE-PROXY-FIREWALL')).toEqual([
      '-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP',
    ]);
    expect(chain(text, 'filter', 'KUBE-FORWARD')).toEqual([
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ]);
  });

  it('masquerades marked traffic once in KUBE-POSTROUTING', () => {
    expect(chain(text, 'nat', 'KUBE-POSTROUTING')).toEqual([
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    expect(chain(text, 'nat', 'KUBE-MARK-MASQ')).toEqual(['-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000']);
  });

  it('has no base-chain rules (those are bootstrap commands)', () => {
    expect(text).not.toMatch(/-A (PREROUTING|OUTPUT|POSTROUTING|INPUT|FORWARD) /);
    expect(text.startsWith('*filter\n')).toBe(true);
    expect(text.trimEnd().endsWith('COMMIT')).toBe(true);
  });
});

describe('traffic policies', () => {
  const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24'), node('n2', '192.168.0.3', '10.244.2.0/24')];
  const pods = [
    backend('default', 'web', 'w1', 'n1', '10.244.1.5'),
    backend('default', 'web', 'w2', 'n2', '10.244.2.5'),
  ];

  it('internalTrafficPolicy Local: KUBE-SVL with local endpoints only; DROP where there are none', () => {
    const svc = service('default', 'web', '10.96.0.50', [{ name: 'http', port: 80 }], {
      internalTrafficPolicy: 'Local',
    });
    const lab = model(nodes, [svc], [pods[0]], '10.244.0.0/16');
    const eps = computeEndpoints(lab);
    const n1 = renderIptables(lab, 'n1', eps);
    const svl = declared(n1, 'nat').find((c) => c.startsWith('KUBE-SVL-'))!;
    expect(svl).toBeDefined();
    expect(chain(n1, 'nat', 'KUBE-SERVICES')[0]).toContain(`-j ${svl}`);
    // kube-proxy writes the ClusterIP masquerade rule into the internal traffic chain (here KUBE-SVL).
    expect(chain(n1, 'nat', svl)).toEqual([
      `-A ${svl} -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.50 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
      expect.stringContaining('"default/web:http -> 10.244.1.5:80"'),
    ]);
    const all = renderIptables(lab, 'n1', eps, { masqueradeAll: true });
    expect(chain(all, 'nat', svl)[0]).toBe(
      `-A ${svl} -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.50 --dport 80 -j KUBE-MARK-MASQ`,
    );
    expect(declared(n1, 'nat').some((c) => c.startsWith('KUBE-SVC-'))).toBe(false);
    const n2 = renderIptables(lab, 'n2', eps);
    expect(chain(n2, 'filter', 'KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "default/web:http has no local endpoints" -m tcp -p tcp -d 10.96.0.50 --dport 80 -j DROP',
    ]);
    expect(chain(n2, 'nat', 'KUBE-SERVICES')).toHaveLength(1); // only the NodePort jump
  });

  it('externalTrafficPolicy Local: EXT keeps the source and ends in KUBE-SVL on nodes with a local endpoint', () => {
    const svc = service('default', 'web', '10.96.0.51', [{ port: 80, nodePort: 30080 }], {
      type: 'NodePort',
      externalTrafficPolicy: 'Local',
    });
    const lab = model(nodes, [svc], [pods[0]], '10.244.0.0/16');
    const n1 = renderIptables(lab, 'n1', computeEndpoints(lab));
    const ext = declared(n1, 'nat').find((c) => c.startsWith('KUBE-EXT-'))!;
    const rules = chain(n1, 'nat', ext);
    expect(rules[rules.length - 1]).toMatch(/ -j KUBE-SVL-/);
    expect(rules.filter((r) => r.includes('KUBE-MARK-MASQ'))).toHaveLength(1); // only LOCAL-sourced traffic
    expect(chain(n1, 'filter', 'KUBE-EXTERNAL-SERVICES')).toEqual([]);
    // unnamed port: comments use "ns/svc"
    expect(chain(n1, 'nat', 'KUBE-NODEPORTS')).toEqual([
      `-A KUBE-NODEPORTS -m comment --comment default/web -m tcp -p tcp --dport 30080 -j ${ext}`,
    ]);
  });

  it('spreads over n endpoints with probabilities 1/(n-i), the last unconditional', () => {
    const three = [...pods, backend('default', 'web', 'w3', 'n2', '10.244.2.6')];
    const svc = service('default', 'web', '10.96.0.52', [
      { name: 'http', protocol: 'UDP', port: 53, targetPort: 5353 },
    ]);
    const lab = model(nodes, [svc], three, '10.244.0.0/16');
    const text = renderIptables(lab, 'n1', computeEndpoints(lab));
    const svcChain = declared(text, 'nat').find((c) => c.startsWith('KUBE-SVC-'))!;
    const rules = chain(text, 'nat', svcChain);
    expect(rules[0]).toContain('-m udp -p udp -d 10.96.0.52 --dport 53 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ');
    expect(rules.slice(1).map((r) => /--probability (\S+)/.exec(r)?.[1] ?? 'always')).toEqual([
      '0.3333333333',
      '0.5000000000',
      'always',
    ]);
    expect(probability(7)).toBe('0.1428571429');
  });

  it('masqueradeAll marks every ClusterIP connection', () => {
    const svc = service('default', 'web', '10.96.0.53', [{ port: 80 }]);
    const lab = model(nodes, [svc], pods, '10.244.0.0/16');
    const text = renderIptables(lab, 'n1', computeEndpoints(lab), { masqueradeAll: true });
    const svcChain = declared(text, 'nat').find((c) => c.startsWith('KUBE-SVC-'))!;
    expect(chain(text, 'nat', svcChain)[0]).toMatch(/--dport 80 -j KUBE-MARK-MASQ$/);
  });

  it('drops per-endpoint comments above the large-cluster threshold', () => {
    const svc = service('default', 'web', '10.96.0.54', [{ name: 'http', port: 80 }]);
    const lab = model(nodes, [svc], pods, '10.244.0.0/16');
    const text = renderIptables(lab, 'n1', computeEndpoints(lab), { largeClusterEndpointsThreshold: 1 });
    expect(text).not.toContain('-> 10.244');
    expect(text).toContain('"default/web:http cluster IP"');
  });
});

describe('re-sync', () => {
  const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24')];
  const a = service('default', 'a', '10.96.0.60', [{ port: 80 }]);
  const b = service('default', 'b', '10.96.0.61', [{ port: 80 }]);
  const podsA = [backend('default', 'a', 'a1', 'n1', '10.244.1.2')];
  const podsB = [backend('default', 'b', 'b1', 'n1', '10.244.1.3')];

  it('deletes chains of removed services (flush then -X)', () => {
    const before = model(nodes, [a, b], [...podsA, ...podsB], '10.244.0.0/16');
    const prev = buildIptablesRuleset(before, 'n1', computeEndpoints(before));
    const after = model(nodes, [a], podsA, '10.244.0.0/16');
    const text = renderIptables(after, 'n1', computeEndpoints(after), { previousChains: iptablesChainNames(prev) });
    const gone = Object.keys(prev.nat).filter(
      (c) => !(c in buildIptablesRuleset(after, 'n1', computeEndpoints(after)).nat),
    );
    expect(gone).toHaveLength(2); // b's SVC and SEP
    for (const c of gone) {
      expect(text).toContain(`:${c} - [0:0]`);
      expect(text).toContain(`-X ${c}\n`);
      expect(text).not.toContain(`-j ${c}`);
    }
    // -X lines come after every rule of the table
    const nat = text.split('*nat\n')[1];
    expect(nat.lastIndexOf('-A ')).toBeLessThan(nat.indexOf('-X '));
  });

  it('partial sync rewrites only the changed service chains', () => {
    const before = model(nodes, [a, b], [...podsA, ...podsB], '10.244.0.0/16');
    const prev = buildIptablesRuleset(before, 'n1', computeEndpoints(before));
    // a gets a second endpoint; b unchanged
    const after = model(
      nodes,
      [a, b],
      [...podsA, ...podsB, backend('default', 'a', 'a2', 'n1', '10.244.1.9')],
      '10.244.0.0/16',
    );
    const next = buildIptablesRuleset(after, 'n1', computeEndpoints(after));
    const text = renderIptablesPartial(prev, next);
    const changed = changedServiceChains(prev, next);
    expect(changed).toHaveLength(2); // a's SVC chain and the new SEP
    const natDeclared = declared(text, 'nat');
    for (const c of changed) expect(natDeclared).toContain(c);
    const bChains = Object.keys(prev.nat).filter(
      (c) => /^KUBE-(SVC|SEP)-/.test(c) && prev.nat[c].some((r) => r.includes('default/b')),
    );
    expect(bChains.length).toBeGreaterThan(0);
    for (const c of bChains) expect(natDeclared).not.toContain(c);
    // unchanged top-level chains are left alone too (an endpoint change does not touch KUBE-SERVICES)
    for (const c of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'])
      expect(natDeclared).not.toContain(c);
    expect(text).not.toContain('"default/b cluster IP"');
    expect(text).not.toContain('-X ');
    // the filter table is always rewritten
    expect(declared(text, 'filter')).toEqual(Object.keys(next.filter));
    // identical states: nothing service-specific is rewritten
    expect(changedServiceChains(next, next)).toEqual([]);
  });

  it('partial sync rewrites KUBE-SERVICES, with every rule, when a service is added', () => {
    const before = model(nodes, [a], podsA, '10.244.0.0/16');
    const prev = buildIptablesRuleset(before, 'n1', computeEndpoints(before));
    const after = model(nodes, [a, b], [...podsA, ...podsB], '10.244.0.0/16');
    const next = buildIptablesRuleset(after, 'n1', computeEndpoints(after));
    const text = renderIptablesPartial(prev, next);
    expect(declared(text, 'nat')).toContain('KUBE-SERVICES');
    expect(chain(text, 'nat', 'KUBE-SERVICES')).toEqual(next.nat['KUBE-SERVICES']);
    expect(text).toContain('"default/a cluster IP"');
    // a's own chains did not change
    const aChains = Object.keys(prev.nat).filter((c) => /^KUBE-(SVC|SEP)-/.test(c));
    for (const c of aChains) expect(declared(text, 'nat')).not.toContain(c);
  });

  it('partial sync deletes the chains of a removed endpoint', () => {
    const before = model(nodes, [a], [...podsA, backend('default', 'a', 'a2', 'n1', '10.244.1.9')], '10.244.0.0/16');
    const prev = buildIptablesRuleset(before, 'n1', computeEndpoints(before));
    const after = model(nodes, [a], podsA, '10.244.0.0/16');
    const next = buildIptablesRuleset(after, 'n1', computeEndpoints(after));
    const text = renderIptablesPartial(prev, next);
    const stale = Object.keys(prev.nat).filter((c) => !(c in next.nat));
    expect(stale).toEqual([expect.stringMatching(/^KUBE-SEP-/)]);
    expect(text).toContain(`-X ${stale[0]}`);
  });
});

describe('localhost NodePorts (--iptables-localhost-nodeports)', () => {
  const lab = model(
    [node('n1', '192.168.0.2', '10.244.1.0/24')],
    [service('default', 'web', '10.96.0.20', [{ port: 80, nodePort: 30080 }], { type: 'NodePort' })],
    [],
    '10.244.0.0/16',
  );
  const last = (t: string) => chain(t, 'nat', 'KUBE-SERVICES').slice(-1)[0];

  it('default (true): the NodePort jump matches 127/8 and KUBE-FIREWALL drops martians to 127/8', () => {
    const text = renderIptables(lab, 'n1', []);
    expect(last(text)).toBe(
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be ' +
        'the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    );
    expect(chain(text, 'filter', 'KUBE-FIREWALL')).toEqual([
      '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d ' +
        '127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    ]);
  });

  it('false: the NodePort jump excludes 127.0.0.0/8 and there is no KUBE-FIREWALL', () => {
    const text = renderIptables(lab, 'n1', [], { localhostNodePorts: false });
    expect(last(text)).toMatch(/-m addrtype --dst-type LOCAL ! -d 127\.0\.0\.0\/8 -j KUBE-NODEPORTS$/);
    expect(declared(text, 'filter')).not.toContain('KUBE-FIREWALL');
  });
});

describe('renderIptablesBootstrap', () => {
  it('jumps from INPUT and OUTPUT to KUBE-FIREWALL without a comment, as kubelet writes them', () => {
    const lines = renderIptablesBootstrap('nft');
    expect(lines).toContain(
      'iptables-nft -w -t filter -C INPUT -j KUBE-FIREWALL 2>/dev/null || iptables-nft -w -t filter -I INPUT -j KUBE-FIREWALL',
    );
    expect(lines).toContain(
      'iptables-nft -w -t filter -C OUTPUT -j KUBE-FIREWALL 2>/dev/null || iptables-nft -w -t filter -I OUTPUT -j KUBE-FIREWALL',
    );
  });

  it('creates each jump chain once and inserts each base-chain jump only if missing', () => {
    const lines = renderIptablesBootstrap('nft');
    expect(lines).toContain(
      'iptables-nft -w -t nat -C PREROUTING -m comment --comment "kubernetes service portals" -j ' +
        'KUBE-SERVICES 2>/dev/null || iptables-nft -w -t nat -I PREROUTING -m comment --comment ' +
        '"kubernetes service portals" -j KUBE-SERVICES',
    );
    expect(lines).toContain(
      'iptables-nft -w -t filter -C FORWARD -m conntrack --ctstate NEW -m comment --comment ' +
        '"kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES 2>/dev/null || ' +
        'iptables-nft -w -t filter -I FORWARD -m conntrack --ctstate NEW -m comment --comment ' +
        '"kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    );
    expect(lines.filter((l) => l.includes('-N KUBE-SERVICES'))).toHaveLength(2); // filter and nat
  });

  it('legacy: reads each table once (iptables-save) and falls back to -C before any -I', () => {
    const lines = renderIptablesBootstrap('legacy');
    expect(lines.filter((l) => l.includes('iptables-legacy-save'))).toEqual([
      expect.stringMatching(/^KUBE_SAVE_filter=\$\(iptables-legacy-save -t filter \| /),
      expect.stringMatching(/^KUBE_SAVE_nat=\$\(iptables-legacy-save -t nat \| /),
    ]);
    expect(lines).toContain(
      `printf '%s\\n' "$KUBE_SAVE_nat" | grep -qxF -- '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES' || ` +
        'iptables-legacy -w -t nat -C PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES 2>/dev/null || ' +
        'iptables-legacy -w -t nat -I PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    );
    expect(lines.filter((l) => l.includes(' -I '))).toHaveLength(IPTABLES_JUMPS.length);
    expect(lines.filter((l) => l.includes(' -I ')).every((l) => l.includes(' -C '))).toBe(true);
    expect(lines.some((l) => l.includes('iptables-nft'))).toBe(false);
  });
});

describe('parseIptablesSaveChains', () => {
  it('reads chain declarations from iptables-save output', () => {
    const save =
      '# Generated by iptables-save\n*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SEP-ABC - [0:0]\n-A KUBE-SEP-ABC -j KUBE-MARK-MASQ\nCOMMIT\n';
    expect(parseIptablesSaveChains(save)).toEqual(['PREROUTING', 'KUBE-SEP-ABC']);
  });
});

describe('iptables-nft chain-list cache (NFT_CHAIN_LIST_LIMIT)', () => {
  const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24')];
  const lab = (n: number) => {
    const svcs = Array.from({ length: n }, (_, i) =>
      service('default', `s${i}`, `10.96.${i >> 8}.${i & 255}`, [{ port: 80 }]),
    );
    const pods = svcs.map((s, i) => backend('default', s.name, `p${i}`, 'n1', `10.244.1.${(i % 250) + 2}`));
    return model(nodes, svcs, pods, '10.244.0.0/16');
  };
  const tableLines = (text: string, t: string) => text.split(`*${t}\n`)[1].split('COMMIT')[0].split('\n');

  it('starts the nat section with -Z once it declares more chains than the limit (nft backend only)', () => {
    const big = lab(Math.ceil(NFT_CHAIN_LIST_LIMIT / 2) + 1); // SVC + SEP per service
    const r = buildIptablesRuleset(big, 'n1', computeEndpoints(big));
    expect(Object.keys(r.nat).length).toBeGreaterThan(NFT_CHAIN_LIST_LIMIT);
    expect(tableLines(serializeIptables(r), 'nat')[0]).toBe('-Z');
    expect(tableLines(serializeIptables(r, [], { backend: 'nft' }), 'nat')[0]).toBe('-Z');
    expect(serializeIptables(r, [], { backend: 'legacy' })).not.toMatch(/^-Z$/m);
    // the filter table stays small: no -Z there
    expect(tableLines(serializeIptables(r), 'filter')).not.toContain('-Z');
  });

  it('leaves small restores (and small partial syncs of big rulesets) without -Z', () => {
    const small = lab(10);
    expect(serializeIptables(buildIptablesRuleset(small, 'n1', computeEndpoints(small)))).not.toMatch(/^-Z$/m);
    const big = lab(NFT_CHAIN_LIST_LIMIT);
    const eps = computeEndpoints(big);
    const prev = buildIptablesRuleset(big, 'n1', eps);
    const moved = eps.map((s, i) =>
      i === 0 ? { ...s, endpoints: s.endpoints.map((e) => ({ ...e, ip: '10.244.1.254' })) } : s,
    );
    const partial = renderIptablesPartial(prev, buildIptablesRuleset(big, 'n1', moved));
    expect(partial).not.toMatch(/^-Z$/m);
    expect(declared(partial, 'nat')).toHaveLength(3); // s0's SVC, its new SEP, the stale SEP
  });
});
