import { resolveTopology } from '../../src/topology/resolve';
import { computeEndpoints } from '../../src/proxy/endpoints';
import {
  clockSerial,
  dnsDir,
  dnsOrigins,
  renderDnsStart,
  renderDnsSync,
  renderPodUnboundConf,
  SERIAL_TOKEN,
} from '../../src/plan/dns-pod';
import { podsOnNodeNeedDnsFiles, renderObservePods, renderPodsOnNode } from '../../src/plan/pod';
import { podResolvConf, renderPodResolvConf, resolvOptions } from '../../src/plan/resolv';
import { containerPodSpec, renderAttachNetns, renderContainerPodNetwork } from '../../src/plan/container-pod';
import type { LabModel } from '../../src/model/types';

const AG = 'registry.k8s.io/e2e-test-images/agnhost:2.47';
function model(over: Record<string, unknown> = {}): LabModel {
  return resolveTopology({
    name: 'd',
    nodes: [{ name: 'node1' }, { name: 'node2' }],
    objects: [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'a', labels: { app: 'a' } },
        spec: { containers: [{ name: 'w', image: AG, args: ['netexec'] }] },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'box' },
        spec: { nodeName: 'node2', containers: [{ name: 'box', image: 'busybox:1.36', args: ['sleep', '3600'] }] },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'a' },
        spec: { selector: { app: 'a' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      },
    ],
    ...over,
  } as never);
}

describe('DNS pod plan', () => {
  const m = model();
  const dns = m.pods.find((p) => p.namespace === 'kube-system')!;
  const c = dns.containers[0];

  it('serves the cluster zone and the service and pod reverse zones', () => {
    expect(dnsOrigins(m)).toEqual(['cluster.local.', '244.10.in-addr.arpa.', '96.10.in-addr.arpa.']);
  });

  it('starts knotd and unbound in the pod netns, each only when not running', () => {
    const lines = renderDnsStart(dns, c).join('\n');
    expect(lines).toMatch(
      /if ! \{ \[ -e \S+coredns\.knotd\.pid \].*setsid nsenter --uts=\S+ ip netns exec kube-system\.coredns-\S+ setpriv --bounding-set=-sys_admin -- knotd -c \S+\/dns\/knot\.conf/,
    );
    expect(lines).toMatch(
      /setsid nsenter --uts=\S+ ip netns exec kube-system\.coredns-\S+ setpriv --bounding-set=-sys_admin -- unbound -d -c \S+\/dns\/unbound\.conf/,
    );
    // Node start script: the DNS pod's servers start and it waits for knot + unbound readiness.
    const node = m.nodes.find((n) => n.name === dns.node)!;
    expect(renderPodsOnNode(m, node).join('\n')).toMatch(/knotc -s \S+knot\.sock -t 1 status/);
    expect(renderObservePods([dns]).join('\n')).toMatch(/dig @10\.244\.\d+\.\d+ -p 53/);
  });

  it('sync script writes zones with a serial above the served one, then reloads knot', () => {
    const s = renderDnsSync(
      m,
      dns,
      c,
      computeEndpoints(m, () => true),
      { serial: 1234 },
    );
    expect(s).toContain(`${dnsDir(dns)}/zones/db.cluster.local.new`);
    expect(s).toContain(`a.default.svc.cluster.local. 30 IN A ${m.services[0].clusterIP}`);
    expect(s).toContain(`IN SOA ns.dns.cluster.local. hostmaster.cluster.local. ${SERIAL_TOKEN} 7200 1800 86400 30`);
    expect(s).toMatch(/s=1234\nif \[ "\$s" -le "\$prev" \]; then s=\$\(\(prev \+ 1\)\); fi/);
    expect(s).toMatch(
      /knotc -s \S+knot\.sock -b zone-reload cluster\.local\. 244\.10\.in-addr\.arpa\. 96\.10\.in-addr\.arpa\./,
    );
    expect(s).toContain('flock 9');
  });

  it('without an Internet DNS server, refuses outside names instead of forwarding them', () => {
    const conf = renderPodUnboundConf(m, dns);
    expect(conf).not.toMatch(/forward-zone/);
    expect(conf).toContain('local-zone: "." refuse');
    expect(conf).toContain('local-zone: "cluster.local." transparent');
    expect(conf).toMatch(/stub-zone:\n {4}name: "cluster\.local\."\n {4}stub-addr: 127\.0\.0\.1@5353/);
    const withNet = renderPodUnboundConf({ ...m, internetDns: '198.51.100.10' }, dns);
    expect(withNet).toMatch(/forward-zone:\n {4}name: "\."\n {4}forward-addr: 198\.51\.100\.10/);
    expect(withNet).not.toContain('refuse');
  });

  it('clock serials grow and fit 32 bits', () => {
    expect(clockSerial(Date.UTC(2026, 0, 1))).toBeGreaterThan(clockSerial(Date.UTC(2025, 6, 1)));
    expect(clockSerial(Date.UTC(2037, 0, 1))).toBeLessThan(2 ** 32);
  });
});

describe('pod resolv.conf', () => {
  const m = model();
  const a = m.pods.find((p) => p.name === 'a')!;
  it('ClusterFirst: the DNS VIP, the namespace search list, ndots 5, written for ip netns exec', () => {
    expect(podResolvConf(m, a)).toBe(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    expect(renderPodResolvConf(m, a).join('\n')).toContain(`> /etc/netns/${a.netns}/resolv.conf`);
    expect(renderPodsOnNode(m, m.nodes.find((n) => n.name === a.node)!).join('\n')).toContain(
      `/etc/netns/${a.netns}/resolv.conf`,
    );
  });
  it('dnsPolicy None uses dnsConfig only; no cluster DNS leaves the node file', () => {
    const none = {
      ...a,
      dnsPolicy: 'None',
      dnsConfig: { nameservers: ['1.1.1.1'], searches: ['x.example'], options: [{ name: 'ndots', value: '1' }] },
    };
    expect(podResolvConf(m, none)).toBe('search x.example\nnameserver 1.1.1.1\noptions ndots:1\n');
    expect(podResolvConf({ ...m, cluster: { ...m.cluster, dns: false } }, a)).toBeUndefined();
  });
  it('engine DNS options carry the same lines', () => {
    expect(resolvOptions(podResolvConf(m, a)!)).toEqual({
      servers: ['10.96.0.10'],
      search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      options: ['ndots:5'],
    });
  });
});

describe('which pod scripts wait for the DNS files (lab up)', () => {
  it('only a node that starts an offline DNS server as a process pod', () => {
    const m = model({ nodes: [{ name: 'node1' }, { name: 'node2' }, { name: 'node3' }] });
    const dnsNodes = new Set(m.pods.filter((p) => p.namespace === 'kube-system').map((p) => p.node));
    for (const n of m.nodes) expect(podsOnNodeNeedDnsFiles(m, n)).toBe(dnsNodes.has(n.name));
    // Both answers occur: a node with a DNS pod and one without.
    expect(dnsNodes.size).toBeGreaterThan(0);
    expect(dnsNodes.size).toBeLessThan(m.nodes.length);
  });
  it('none with CoreDNS: its pods are containers, started apart from the node scripts', () => {
    const m = resolveTopology({ name: 'd', nodes: [{ name: 'node1' }, { name: 'node2' }], objects: [] } as never, {
      overrides: { dnsServerChoice: 'coredns' },
    });
    expect(m.pods.filter((p) => p.namespace === 'kube-system').length).toBeGreaterThan(0);
    for (const n of m.nodes) expect(podsOnNodeNeedDnsFiles(m, n)).toBe(false);
  });
});

describe('container pod plan', () => {
  const m = model();
  const box = m.pods.find((p) => p.name === 'box')!;
  const node = m.nodes.find((n) => n.name === 'node2')!;
  it('is not started as processes by the node script', () => {
    expect(renderPodsOnNode(m, node).join('\n')).not.toContain(box.netns);
    expect(renderObservePods([box])).toEqual([]);
  });
  it('engine spec: its image, args as CMD, no network, pod resolv.conf, labelled with lab/role/node', () => {
    const s = containerPodSpec(m, box);
    expect(s).toMatchObject({
      name: 'k8s-netlab-d-pod-default-box',
      image: 'busybox:1.36',
      cmd: ['sleep', '3600'],
      imageCmd: false,
      role: 'pod',
      lab: 'd',
    });
    expect(s.privileges).toEqual({ capDrop: [], capAdd: [], securityOpt: [] });
    expect(s.labels).toEqual({ 'k8s-netlab.node': 'node2', 'k8s-netlab.pod': 'default/box' });
    expect(s.dns?.servers).toEqual(['10.96.0.10']);
  });
  it('netns handed to the node by PID, then plumbed like a process pod (no ip netns add)', () => {
    const attach = renderAttachNetns(box, 4242, 99);
    expect(attach).toContain('exec 3< /proc/4242/ns/net');
    const f = `/run/netns/${box.netns}`;
    expect(attach).toContain(
      `nsenter -t 99 -m -p -- sh -c 'mkdir -p /run/netns /run/k8s-netlab/uts && rm -f ${f} /run/k8s-netlab/uts/box && : > ${f} && mount --bind /proc/self/fd/3 ${f} && : > /run/k8s-netlab/uts/box && mount --bind /proc/self/fd/4 /run/k8s-netlab/uts/box'`,
    );
    expect(attach).toContain('exec 4< /proc/4242/ns/uts');
    const net = renderContainerPodNetwork(m, node, box).join('\n');
    expect(net).not.toMatch(/ip netns add/);
    expect(net).toContain(`"netns":"/run/netns/${box.netns}","ifname":"eth0"`);
    expect(net).toContain(`IP=${box.ip}`);
    expect(net).toContain(`/etc/netns/${box.netns}/resolv.conf`);
  });
});
