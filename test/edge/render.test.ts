import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderIgw, renderIgwNat } from '../../src/edge/igw';
import { renderIpMasqAgent, renderIpMasqRules } from '../../src/edge/masq';
import { renderVpcEdge, renderVpcReturnRules } from '../../src/edge/vpc';
import { lbConfig, LbConfig, renderLbSync } from '../../src/edge/lb';
import { PROGRAMS, programSource } from '../../src/images/programs';
import { healthzConfig } from '../../src/edge/healthz';
import { dnsmasqArgv, renderInternetHost } from '../../src/edge/internet';
import { edgeProxyOptions } from '../../src/edge/extras';
import { edgeSpecs, renderAttachmentSide } from '../../src/edge/containers';
import { computeEndpoints } from '../../src/proxy/endpoints';
import { buildIptablesRuleset } from '../../src/proxy/iptables';
import { resolve, service, topo, deployment } from '../topology/helpers';

const lb = (name: string, spec: Record<string, unknown> = {}) =>
  service(name, {
    type: 'LoadBalancer',
    selector: { app: 'web' },
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    ...spec,
  });

// web pods: node1 and node2 (node3 has none), as in the guide.
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
    nodes: [{ name: 'node1' }, { name: 'node2' }, { name: 'node3' }, { name: 'node4', publicIP: '203.0.113.99' }],
    objects: [
      deployment('web', 2, affinity),
      lb('web'),
      lb('web-local', { externalTrafficPolicy: 'Local' }),
      lb('web-ranges', { loadBalancerSourceRanges: ['192.0.2.0/24'] }),
    ],
  }),
);
const noPublic = resolve(topo({ edge: { nodePublicIPs: false } }));

describe('internet gateway', () => {
  it('1:1 NAT for every node with a public IP, the gateway address for the rest', () => {
    const t = renderIgwNat(model);
    expect(t).toContain(
      '-A IGW-PREROUTING -d 203.0.113.10/32 -i inet0 -m comment --comment "node1 public IP" -j DNAT --to-destination 10.0.1.10',
    );
    expect(t).toContain(
      '-A IGW-POSTROUTING -s 10.0.1.10/32 -o inet0 -m comment --comment "node1 public IP" -j SNAT --to-source 203.0.113.10',
    );
    expect(t).toContain('-j DNAT --to-destination 10.0.1.13');
    expect(t).toContain(
      '-s 10.0.1.13/32 -o inet0 -m comment --comment "node4 public IP" -j SNAT --to-source 203.0.113.99',
    );
    // Per-node SNAT before the catch-all of the subnet.
    expect(t.indexOf('--to-source 203.0.113.99')).toBeLessThan(t.indexOf('-s 10.0.1.0/24 -o inet0'));
    expect(renderIgwNat(noPublic)).not.toContain('DNAT');
    expect(renderIgwNat(noPublic)).toContain(
      '-s 10.0.1.0/24 -o inet0 -m comment --comment "subnet-a addresses without a public IP" -j SNAT --to-source 203.0.113.1',
    );
  });

  it('routes the VPC and the public range to the VPC router, the other client network to the host; no default route', () => {
    const s = renderIgw(model).join('\n');
    expect(s).toContain('ip route add 10.0.1.0/24 via 100.64.0.1');
    expect(s).toContain('ip route add 203.0.113.0/24 via 100.64.0.1');
    expect(s).toContain('ip route add 192.0.2.0/24 via 198.51.100.10');
    expect(s).not.toMatch(/route add default/);
    expect(s).toContain('iptables-nft-restore -w --noflush');
    expect(s).toContain(
      'iptables-nft -w -t nat -C PREROUTING -j IGW-PREROUTING 2>/dev/null || iptables-nft -w -t nat -A PREROUTING -j IGW-PREROUTING',
    );
  });
});

describe('egress masquerade (ip-masq-agent)', () => {
  it('RETURN for the pod CIDR and the VPC, MASQUERADE last', () => {
    const t = renderIpMasqRules(model).split('\n');
    expect(t).toEqual([
      '*nat',
      ':IP-MASQ-AGENT - [0:0]',
      '-A IP-MASQ-AGENT -d 10.244.0.0/16 -m comment --comment "ip-masq-agent: local traffic is not subject to MASQUERADE" -j RETURN',
      '-A IP-MASQ-AGENT -d 10.0.1.0/24 -m comment --comment "ip-masq-agent: local traffic is not subject to MASQUERADE" -j RETURN',
      '-A IP-MASQ-AGENT -m comment --comment "ip-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)" -j MASQUERADE',
      'COMMIT',
      '',
    ]);
    const s = renderIpMasqAgent(model, model.nodes[0]).join('\n');
    expect(s).toMatch(
      /-C POSTROUTING .*-m addrtype ! --dst-type LOCAL -j IP-MASQ-AGENT 2>\/dev\/null \|\| iptables-nft -w -t nat -A POSTROUTING/,
    );
  });

  it('uses the legacy binaries with the legacy backend', () => {
    const legacy = { ...model, cluster: { ...model.cluster, iptablesBackend: 'legacy' as const } };
    expect(renderIpMasqAgent(legacy, legacy.nodes[0]).join('\n')).toContain('iptables-legacy-restore -w --noflush');
  });
});

describe('vpc router edge', () => {
  it('default to the gateway, pool to the LB, return path of LB connections through the LB', () => {
    const s = renderVpcEdge(model).join('\n');
    expect(s).toContain('ip route replace default via 100.64.0.2');
    expect(s).toContain('ip route add 203.0.113.128/26 via 100.64.0.6');
    expect(s).toContain('ip route add unreachable 203.0.113.0/24');
    expect(s).toContain('ip rule add fwmark 0x10/0x10 lookup 110 priority 110');
    expect(s).toContain('ip route add default via 100.64.0.6 table 110');
    const r = renderVpcReturnRules('lb0');
    expect(r).toContain('-A EDGE-LB-RETURN -i lb0 -m conntrack --ctstate NEW');
    expect(r).toContain('-j CONNMARK --set-xmark 0x10/0x10');
    expect(r).toContain('-A EDGE-LB-RETURN ! -i lb0 -m connmark --mark 0x10/0x10');
  });

  it('attachment helper: container side has its transit address, default via the VPC router and its public IPs on lo', () => {
    expect(renderAttachmentSide(model.edge!.ingress, ['203.0.113.200'])).toEqual([
      'ip link set lo up',
      'ip addr add 100.64.0.10/30 dev eth0',
      'ip link set eth0 up',
      'ip route replace default via 100.64.0.9',
      'ip addr replace 203.0.113.200/32 dev lo',
    ]);
  });
});

describe('internet host', () => {
  it('addresses, default route, echo and DNS started once', () => {
    const s = renderInternetHost(model).join('\n');
    expect(s).toContain('ip addr add 198.51.100.10/24 dev eth0');
    expect(s).toContain('ip addr add 192.0.2.10/24 dev eth0');
    expect(s).toContain('ip route add default via 198.51.100.1');
    expect(s).toMatch(/python3 \/run\/k8s-netlab\/edge\/whoami.py 80/);
    const d = dnsmasqArgv(model);
    expect(d).toContain('--host-record=whoami.example.net,198.51.100.10');
    expect(d).toContain('--local=/example.com/');
    expect(d).toContain('--no-resolv');
  });

  it('edge containers: least privilege, network none via the runtime, labelled by role', () => {
    const specs = edgeSpecs(model, 'img');
    expect(specs.map((s) => [s.name, s.role])).toEqual([
      ['k8s-netlab-t-igw', 'igw'],
      ['k8s-netlab-t-internet', 'internet'],
      ['k8s-netlab-t-lb', 'lb'],
    ]);
    for (const s of specs) {
      expect(s.privileges.capDrop).toEqual(['ALL']);
      expect(s.privileges.capAdd).toContain('NET_ADMIN');
      expect(s.privileges.capAdd).not.toContain('SYS_ADMIN');
    }
  });
});

/** The rules the checker program (images/lb/checker.py) loads for a healthy set: the one renderer. */
function renderLbRules(conf: LbConfig, healthy: Record<string, string[]>, stale: string[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-'));
  fs.writeFileSync(path.join(dir, 'conf.json'), JSON.stringify(conf));
  return execFileSync('python3', [
    PROGRAMS.lbChecker,
    '--render',
    path.join(dir, 'conf.json'),
    JSON.stringify(healthy),
    JSON.stringify(stale),
  ]).toString();
}

describe('cloud load balancer', () => {
  const conf = lbConfig(model);

  it('one entry per LoadBalancer port; every node is a target; checks by traffic policy', () => {
    expect(conf.entries.map((e) => [e.name, e.lbIP, e.externalTrafficPolicy])).toEqual([
      ['default/web:http', '203.0.113.129', 'Cluster'],
      ['default/web-local:http', '203.0.113.130', 'Local'],
      ['default/web-ranges:http', '203.0.113.131', 'Cluster'],
    ]);
    const [web, local, ranges] = conf.entries;
    const svc = model.services.find((s) => s.name === 'web-local')!;
    expect(web.targets.map((t) => t.node)).toEqual(['node1', 'node2', 'node3', 'node4']);
    expect(web.targets[0].check).toEqual({ kind: 'tcp', port: model.services[0].ports[0].nodePort });
    expect(local.targets[2].check).toEqual({ kind: 'http', port: svc.healthCheckNodePort, path: '/healthz' });
    expect(ranges.fwChain).toMatch(/^LB-FW-[A-Z2-7]{16}$/);
    expect(web.fwChain).toBeUndefined();
  });

  it('DNAT spread over the healthy nodes only, with kube-proxy probabilities', () => {
    const t = renderLbRules(conf, { 'default/web:http': ['node1', 'node3', 'node4'] });
    const web = conf.entries[0];
    const rules = t.split('\n').filter((l) => l.startsWith(`-A ${web.svcChain}`));
    expect(rules).toHaveLength(3);
    expect(rules[0]).toContain(
      '-m statistic --mode random --probability 0.3333333333 -p tcp -j DNAT --to-destination 10.0.1.10:',
    );
    expect(rules[1]).toContain('--probability 0.5000000000 -p tcp -j DNAT --to-destination 10.0.1.12:');
    expect(rules[2]).not.toContain('statistic');
    expect(rules.join('\n')).not.toContain('10.0.1.11');
    // No healthy node: no DNAT; the LB IP is local, so the connection is refused there.
    expect(t.split('\n').filter((l) => l.startsWith(`-A ${conf.entries[1].svcChain}`))).toHaveLength(0);
  });

  it('source ranges: only the ranges reach the DNAT chain, the rest is dropped by LB-FIREWALL', () => {
    const e = conf.entries[2];
    const t = renderLbRules(conf, {});
    expect(t).toContain(
      `-A LB-SERVICES -d 203.0.113.131/32 -p tcp -m tcp --dport 80 -m comment --comment "default/web-ranges:http loadbalancer IP" -j ${e.fwChain}`,
    );
    expect(t).toContain(
      `-A ${e.fwChain} -s 192.0.2.0/24 -m comment --comment "default/web-ranges:http loadBalancerSourceRanges" -j ${e.svcChain}`,
    );
    expect(t).toContain('-A LB-FIREWALL -s 192.0.2.0/24 -d 203.0.113.131/32 -p tcp -m tcp --dport 80 -j RETURN');
    expect(t).toContain(
      '-A LB-FIREWALL -d 203.0.113.131/32 -p tcp -m tcp --dport 80 -m comment --comment "default/web-ranges:http source not in loadBalancerSourceRanges" -j DROP',
    );
  });

  it('stale chains are flushed and deleted', () => {
    const t = renderLbRules(conf, {}, ['LB-SVC-OLD']);
    expect(t).toContain(':LB-SVC-OLD - [0:0]');
    expect(t).toContain('-X LB-SVC-OLD');
  });

  it('the checker loads the whole rule set: declarations, jumps, source ranges, DNAT, both tables', () => {
    const [web, local, ranges] = conf.entries;
    const t = renderLbRules(conf, { 'default/web:http': ['node2'], 'default/web-local:http': ['node1', 'node2'] });
    const lines = t.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      '*nat',
      ':LB-SERVICES - [0:0]',
      `:${web.svcChain} - [0:0]`,
      `:${local.svcChain} - [0:0]`,
      `:${ranges.svcChain} - [0:0]`,
      `:${ranges.fwChain} - [0:0]`,
    ]);
    // One healthy node: its DNAT with no statistic match (the last rule of a chain takes the rest).
    expect(lines.filter((l) => l.startsWith(`-A ${web.svcChain}`))).toEqual([
      `-A ${web.svcChain} -m comment --comment "default/web:http -> node2 10.0.1.11:${web.targets[1].port}" -p tcp -j DNAT --to-destination 10.0.1.11:${web.targets[1].port}`,
    ]);
    expect(lines.filter((l) => l.startsWith(`-A ${local.svcChain}`))).toHaveLength(2);
    expect(lines.indexOf('COMMIT')).toBeLessThan(lines.indexOf('*filter'));
    expect(lines.slice(lines.indexOf('*filter'), lines.indexOf('*filter') + 2)).toEqual([
      '*filter',
      ':LB-FIREWALL - [0:0]',
    ]);
    expect(t.endsWith('COMMIT\n')).toBe(true);
  });

  it('the checker program is the file under images/ that the sync writes into the LB', () => {
    expect(renderLbSync(model).join('\n')).toContain(programSource('lbChecker').trim());
    expect(programSource('lbChecker')).toMatch(/^#!\/usr\/bin\/env python3/);
  });

  it('sync: LB IPs on lo, config written, chains jumped, checker started once', () => {
    const s = renderLbSync(model).join('\n');
    expect(s).toContain('ip addr replace 203.0.113.129/32 dev lo');
    expect(s).toContain('iptables-nft -w -t nat -C PREROUTING -j LB-SERVICES');
    expect(s).toContain('iptables-nft -w -t filter -C INPUT -j LB-FIREWALL');
    expect(s).toMatch(/kill -0 .*lb-healthcheck.pid/);
  });
});

describe('kube-proxy side', () => {
  const slices = computeEndpoints(model, () => true);

  it('health check servers: local ready endpoints per ETP Local LoadBalancer per node', () => {
    const svc = model.services.find((s) => s.name === 'web-local')!;
    const counts = model.nodes.map((n) => healthzConfig(model, n, slices).services);
    expect(counts.map((c) => c.map((x) => [x.name, x.port, x.localEndpoints]))).toEqual([
      [['web-local', svc.healthCheckNodePort, 1]],
      [['web-local', svc.healthCheckNodePort, 1]],
      [['web-local', svc.healthCheckNodePort, 0]],
      [['web-local', svc.healthCheckNodePort, 0]],
    ]);
    const notReady = computeEndpoints(model, () => false);
    expect(healthzConfig(model, model.nodes[0], notReady).services[0].localEndpoints).toBe(0);
    expect(healthzConfig(model, model.nodes[0], slices).proxyPort).toBe(10256);
  });

  it('nodes learn each LoadBalancer IP (KUBE-SERVICES loadbalancer IP rules, KUBE-FW for source ranges)', () => {
    const opts = edgeProxyOptions(model);
    expect(opts.serviceExtras!['default/web']).toEqual({ loadBalancerIPs: ['203.0.113.129'] });
    const r = buildIptablesRuleset(model, 'node3', slices, opts);
    const all = Object.values(r.nat).flat().join('\n');
    expect(all).toContain('"default/web:http loadbalancer IP" -m tcp -p tcp -d 203.0.113.129 --dport 80');
    expect(all).toMatch(/-A KUBE-FW-\S+ .*-s 192.0.2.0\/24 -j KUBE-EXT-/);
    expect(edgeProxyOptions(noPublic)).toEqual({});
  });
});
