import { computeEndpoints } from '../../src/proxy/endpoints';
import { IPVS_IPSETS, renderIpvs, renderKubeIpvs0 } from '../../src/proxy/ipvs';
import { backend, model, node, overallScenario, service } from './fixtures';

describe('renderIpvs', () => {
  const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24'), node('n2', '192.168.0.3', '10.244.2.0/24')];
  const pods = [
    backend('default', 'web', 'w1', 'n1', '10.244.1.5'),
    backend('default', 'web', 'w2', 'n2', '10.244.2.5'),
  ];

  it('one virtual server per service address, masquerading real servers, persistence for ClientIP', () => {
    const web = service(
      'default',
      'web',
      '10.96.0.20',
      [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
      {
        type: 'NodePort',
        sessionAffinity: 'ClientIP',
        affinityTimeoutSeconds: 600,
      },
    );
    const dns = service('default', 'dns', '10.96.0.10', [{ name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 }], {
      selector: { app: 'default-web' },
    });
    const lab = model(nodes, [web, dns], pods, '10.244.0.0/16');
    const r = renderIpvs(lab, 'n1', computeEndpoints(lab), 'rr');
    expect(r.ipvsadm.trim().split('\n')).toEqual([
      '-C',
      '-A -t 10.96.0.20:80 -s rr -p 600',
      '-a -t 10.96.0.20:80 -r 10.244.1.5:8080 -m -w 1',
      '-a -t 10.96.0.20:80 -r 10.244.2.5:8080 -m -w 1',
      '-A -t 192.168.0.2:30080 -s rr -p 600',
      '-a -t 192.168.0.2:30080 -r 10.244.1.5:8080 -m -w 1',
      '-a -t 192.168.0.2:30080 -r 10.244.2.5:8080 -m -w 1',
      '-A -u 10.96.0.10:53 -s rr',
      '-a -u 10.96.0.10:53 -r 10.244.1.5:53 -m -w 1',
      '-a -u 10.96.0.10:53 -r 10.244.2.5:53 -m -w 1',
    ]);
    expect(r.addresses).toEqual(['10.96.0.10', '10.96.0.20']);
    const ipset = r.ipset.split('\n');
    expect(ipset).toContain('add KUBE-CLUSTER-IP 10.96.0.20,tcp:80 -exist');
    expect(ipset).toContain('add KUBE-CLUSTER-IP 10.96.0.10,udp:53 -exist');
    expect(ipset).toContain('add KUBE-NODE-PORT-TCP 30080 -exist');
    // hairpin only for endpoints on this node
    expect(ipset).toContain('add KUBE-LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5 -exist');
    expect(ipset.filter((l) => l.startsWith('add KUBE-LOOP-BACK')).some((l) => l.includes('10.244.2.5'))).toBe(false);
    expect(ipset).toContain('add KUBE-IPVS-IPS 10.96.0.20 -exist');
    for (const s of IPVS_IPSETS) expect(ipset).toContain(`flush ${s.name}`);
  });

  it('ETP Local: NodePort virtual server gets local endpoints only and skips SNAT', () => {
    const svc = service('default', 'web', '10.96.0.21', [{ port: 80, nodePort: 30081 }], {
      type: 'NodePort',
      externalTrafficPolicy: 'Local',
    });
    const lab = model(nodes, [svc], pods, '10.244.0.0/16');
    const r = renderIpvs(lab, 'n2', computeEndpoints(lab), 'lc');
    expect(r.ipvsadm).toContain('-A -t 192.168.0.3:30081 -s lc\n-a -t 192.168.0.3:30081 -r 10.244.2.5:80 -m -w 1\n');
    expect(r.ipset).toContain('add KUBE-NODE-PORT-LOCAL-TCP 30081 -exist');
    const nat = r.iptables.split('*nat\n')[1];
    const local = nat.indexOf('KUBE-NODE-PORT-LOCAL-TCP dst -j RETURN');
    expect(local).toBeGreaterThan(-1);
    expect(local).toBeLessThan(nat.indexOf('KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ'));
  });

  it('ITP Local: ClusterIP virtual server without real servers on nodes lacking a local endpoint', () => {
    const svc = service('default', 'web', '10.96.0.22', [{ port: 80 }], { internalTrafficPolicy: 'Local' });
    const lab = model(nodes, [svc], [pods[0]], '10.244.0.0/16');
    expect(renderIpvs(lab, 'n2', computeEndpoints(lab)).ipvsadm).toBe('-C\n-A -t 10.96.0.22:80 -s rr\n');
  });

  it('keeps the constant iptables rule set beside IPVS', () => {
    const { lab, extras } = overallScenario();
    const r = renderIpvs(lab, 'test-node', computeEndpoints(lab), 'rr', { serviceExtras: extras });
    const rules = r.iptables.split('\n');
    expect(rules).toContain(
      '-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for ' +
        'masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.0.0.0/8 -j ' +
        'KUBE-MARK-MASQ',
    );
    expect(rules).toContain(
      '-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for ' +
        'solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE',
    );
    expect(rules).toContain('-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT');
    expect(rules.indexOf('-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT')).toBeLessThan(
      rules.indexOf('-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT'),
    );
    expect(r.ipset).toContain('add KUBE-LOAD-BALANCER-SOURCE-CIDR 5.6.7.8,tcp:80,203.0.113.0/25 -exist');
    expect(r.ipset).toContain('add KUBE-LOAD-BALANCER-LOCAL 1.2.3.4,tcp:80 -exist');
    expect(r.ipset).toContain('add KUBE-EXTERNAL-IP-LOCAL 192.168.99.22,tcp:80 -exist');
    expect(r.ipset).toContain('add KUBE-HEALTH-CHECK-NODE-PORT 30000 -exist');
    expect(r.addresses).toEqual(expect.arrayContaining(['1.2.3.4', '5.6.7.8', '192.168.99.22', '172.30.0.46']));
    expect(r.sysctls['net.ipv4.vs.conntrack']).toBe('1');
    // Rule count does not depend on the number of services.
    const rulesFor = (n: number) => {
      const svcs = Array.from({ length: n }, (_, i) =>
        service('default', `s${i}`, `10.96.1.${i + 1}`, [{ port: 80 }], { selector: { app: 'default-web' } }),
      );
      const l = model(nodes, svcs, pods, '10.244.0.0/16');
      return renderIpvs(l, 'n1', computeEndpoints(l))
        .iptables.split('\n')
        .filter((x) => x.startsWith('-A')).length;
    };
    expect(rulesFor(3)).toBe(rulesFor(40));
  });
});

describe('renderKubeIpvs0', () => {
  it('creates the dummy link once, replaces wanted /32s and removes the others', () => {
    const cmds = renderKubeIpvs0(['10.96.0.1', '10.96.0.10']);
    expect(cmds[0]).toBe('ip link show kube-ipvs0 >/dev/null 2>&1 || ip link add kube-ipvs0 type dummy');
    expect(cmds[1]).toContain('case " 10.96.0.1/32 10.96.0.10/32 " in');
    expect(cmds.slice(2)).toEqual([
      'ip addr replace 10.96.0.1/32 dev kube-ipvs0',
      'ip addr replace 10.96.0.10/32 dev kube-ipvs0',
    ]);
  });
});
