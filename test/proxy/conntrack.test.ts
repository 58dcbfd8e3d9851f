import { spawnSync } from 'child_process';
import { computeEndpoints } from '../../src/proxy/endpoints';
import { renderUdpConntrackCleanup, staleUdpAwk, udpServing, withDeleted } from '../../src/proxy/conntrack';
import { renderProxyPlan } from '../../src/proxy/plan';
import { backend, model, node, service } from './fixtures';

const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24'), node('n2', '192.168.0.3', '10.244.2.0/24')];
const dns = service(
  'default',
  'dns',
  '172.30.0.10',
  [
    { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53, nodePort: 30053 },
    { name: 'dns-tcp', port: 53, targetPort: 53 },
  ],
  {
    type: 'NodePort',
    internalTrafficPolicy: 'Local',
  },
);
const web = service('default', 'web', '172.30.0.20', [{ port: 80 }]);
const pods = [backend('default', 'dns', 'd1', 'n1', '10.244.1.5'), backend('default', 'dns', 'd2', 'n2', '10.244.2.5')];
const lab = model(nodes, [dns, web], pods, '10.244.0.0/16');

describe('UDP conntrack clean-up (pkg/proxy/conntrack CleanStaleEntries)', () => {
  it('serving endpoints are every ready endpoint, cluster-wide, whatever the traffic policy', () => {
    expect(
      udpServing(lab, 'n1', computeEndpoints(lab), {
        serviceExtras: { 'default/dns': { externalIPs: ['192.168.99.1'] } },
      }),
    ).toEqual({
      ips: { '172.30.0.10': ['10.244.1.5', '10.244.2.5'], '192.168.99.1': ['10.244.1.5', '10.244.2.5'] },
      nodePorts: { 30053: ['10.244.1.5', '10.244.2.5'] },
    });
    // a not-ready endpoint does not serve
    const eps = computeEndpoints(lab, (p) => p.name !== 'd2');
    expect(udpServing(lab, 'n1', eps).ips['172.30.0.10']).toEqual(['10.244.1.5']);
  });

  it('nothing to do without UDP services', () => {
    const tcpOnly = model(nodes, [web], [], '10.244.0.0/16');
    expect(renderUdpConntrackCleanup(udpServing(tcpOnly, 'n1', []))).toEqual([]);
    expect(renderProxyPlan(tcpOnly, 'n1', [], 'nftables').commands.join('\n')).not.toContain('conntrack');
  });

  it('a UDP Service deleted since the previous sync: its flows go too (kubernetes PR #141371)', () => {
    const first = renderProxyPlan(lab, 'n1', computeEndpoints(lab), 'nftables');
    expect(first.state.udp).toEqual({ ips: ['172.30.0.10'], nodePorts: [30053] });
    const gone = model(nodes, [web], pods, '10.244.0.0/16');
    const prev = JSON.parse(JSON.stringify(first.state));
    const next = renderProxyPlan(gone, 'n1', computeEndpoints(gone), 'nftables', prev);
    expect(next.commands[next.commands.length - 1]).toContain('ip["172.30.0.10"] = "  "');
    expect(next.commands[next.commands.length - 1]).toContain('np["30053"] = "  "');
    expect(next.state.udp).toBeUndefined();
    // an address taken over by a live Service keeps that Service's endpoints
    expect(
      withDeleted({ ips: { '1.1.1.1': ['10.0.0.1'] }, nodePorts: {} }, { ips: ['1.1.1.1', '2.2.2.2'], nodePorts: [] })
        .ips,
    ).toEqual({
      '1.1.1.1': ['10.0.0.1'],
      '2.2.2.2': [],
    });
  });

  it('runs after the rules in every mode', () => {
    for (const mode of ['iptables', 'nftables', 'ipvs'] as const) {
      const cmds = renderProxyPlan(lab, 'n1', computeEndpoints(lab), mode).commands;
      expect(cmds[cmds.length - 1]).toMatch(/^conntrack -L -p udp .*\| awk /);
    }
  });

  const table = [
    // to the VIP, DNAT'd to a deleted pod: stale
    'udp      17 29 src=10.244.1.9 dst=172.30.0.10 sport=40000 dport=53 src=10.244.2.99 dst=10.244.1.9 sport=53 dport=40000 mark=0 use=1',
    // to the VIP, DNAT'd to a serving endpoint: kept
    'udp      17 29 src=10.244.1.9 dst=172.30.0.10 sport=40001 dport=53 src=10.244.1.5 dst=10.244.1.9 sport=53 dport=40001 [ASSURED] mark=0 use=1',
    // made while the service had no endpoint (never DNAT'd: the VIP replies): stale
    'udp      17 29 src=10.244.1.9 dst=172.30.0.10 sport=40002 dport=53 [UNREPLIED] src=172.30.0.10 dst=10.244.1.9 sport=53 dport=40002 mark=0 use=1',
    // to the NodePort, DNAT'd to a deleted pod: stale
    'udp      17 29 src=192.168.0.9 dst=192.168.0.2 sport=40003 dport=30053 src=10.244.2.99 dst=192.168.0.2 sport=53 dport=1024 mark=0 use=1',
    // unrelated UDP: kept
    'udp      17 29 src=10.244.1.9 dst=8.8.8.8 sport=40004 dport=53 src=8.8.8.8 dst=192.168.0.2 sport=53 dport=40004 mark=0 use=1',
  ].join('\n');

  it('deletes entries to a Service IP or NodePort whose reply source is not a serving endpoint (real awk)', () => {
    const r = spawnSync('awk', [staleUdpAwk(udpServing(lab, 'n1', computeEndpoints(lab)))], {
      input: table,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'conntrack -D -p udp --orig-dst 172.30.0.10 --reply-src 10.244.2.99',
      'conntrack -D -p udp --orig-dst 172.30.0.10 --reply-src 172.30.0.10',
      'conntrack -D -p udp --orig-port-dst 30053 --reply-src 10.244.2.99',
    ]);
  });

  it('the rendered line is valid sh that runs the deletions it prints', () => {
    const [line] = renderUdpConntrackCleanup(udpServing(lab, 'n1', computeEndpoints(lab)));
    // stand-in conntrack: -L prints the table, -D records its arguments
    const fake = `conntrack() { if [ "$1" = -L ]; then printf '%s\\n' "$TABLE"; else echo "DEL $*" >> "$OUT"; fi; }`;
    const out = `/tmp/ct-${process.pid}-${Date.now()}`;
    const r = spawnSync('sh', ['-c', `${fake}\n${line.replace(/\$cmd/, 'eval $cmd')}\ncat ${out}; rm -f ${out}`], {
      env: { ...process.env, TABLE: table, OUT: out },
      encoding: 'utf8',
    });
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect(r.stdout).toContain('DEL -D -p udp --orig-dst 172.30.0.10 --reply-src 10.244.2.99');
  });
});
