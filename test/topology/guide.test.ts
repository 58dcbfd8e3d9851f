import { join } from 'path';
import { cidrContainsIp, overlaps, parseCidr } from '../../src/net/ipv4';
import { loadTopology } from '../../src/topology/load';
import { errorAt, errorsOf } from './helpers';

const GUIDE = join(__dirname, '../../topologies/guide.yaml');

describe('topologies/guide.yaml', () => {
  const m = loadTopology(GUIDE);

  it('has three nodes in one subnet with distinct /24 pod blocks inside the pod CIDR', () => {
    expect(m.nodes.map((n) => n.name)).toEqual(['node1', 'node2', 'node3']);
    const blocks = m.nodes.map((n) => parseCidr(n.podCIDR)!);
    blocks.forEach((b) => expect(b.prefix).toBe(24));
    for (let i = 0; i < blocks.length; i++)
      for (let j = i + 1; j < blocks.length; j++) expect(overlaps(blocks[i], blocks[j])).toBe(false);
    for (const n of m.nodes) {
      expect(cidrContainsIp(m.cluster.podCIDR, n.cbr0IP)).toBe(true);
      expect(cidrContainsIp(n.podCIDR, n.cbr0IP)).toBe(true);
      expect(cidrContainsIp('10.0.1.0/24', n.ip)).toBe(true);
      expect(n.gateway).toBe('10.0.1.1');
      expect(n.container).toBe(`k8s-netlab-guide-${n.name}`);
      expect(n.labels['kubernetes.io/hostname']).toBe(n.name);
      expect(n.vpcIface.length).toBeLessThanOrEqual(15);
    }
    expect(new Set(m.nodes.map((n) => n.ip)).size).toBe(3);
    expect(m.vpc).toEqual({ name: 'vpc', container: 'k8s-netlab-guide-vpc', role: 'vpc' });
    // One link per node to the VPC router, then the edge: vpc-igw, vpc-lb, igw-internet.
    expect(m.links.filter((l) => l.b.container === 'k8s-netlab-guide-vpc' && l.a.iface === 'eth0')).toHaveLength(3);
    expect(m.links).toHaveLength(6);
    expect(m.links[0]).toEqual({
      a: { container: 'k8s-netlab-guide-node1', iface: 'eth0' },
      b: { container: 'k8s-netlab-guide-vpc', iface: m.nodes[0].vpcIface },
      mtu: 1500,
    });
  });

  it('gives every pod an address of its node block, other than cbr0, unique', () => {
    const ips = new Set<string>();
    for (const p of m.pods) {
      const node = m.nodes.find((n) => n.name === p.node)!;
      expect(cidrContainsIp(node.podCIDR, p.ip)).toBe(true);
      expect(p.ip).not.toBe(node.cbr0IP);
      expect(ips.has(p.ip)).toBe(false);
      ips.add(p.ip);
      expect(p.hostVeth).toMatch(/^veth[0-9a-f]{8}$/);
    }
    const netns = m.pods.map((p) => `${p.node}/${p.netns}`);
    expect(new Set(netns).size).toBe(netns.length);
  });

  it('places the pods as the guide needs', () => {
    const on = (name: string) => m.pods.find((p) => p.name === name)?.node;
    expect(on('pod1')).toBe('node1');
    expect(on('pod2')).toBe('node1');
    expect(on('pod3')).toBe('node2');
    expect(on('pod4')).toBe('node2');
    expect(on('client')).toBe('node3');
    const web = m.pods.filter((p) => p.owner === 'web');
    expect(web).toHaveLength(2);
    expect(web.map((p) => p.node).sort()).toEqual(['node1', 'node2']);
    for (const p of web) expect(p.name).toMatch(/^web-[0-9a-f]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(m.pods.filter((p) => p.node === 'node3' && p.labels.app === 'web')).toHaveLength(0);
  });

  it('runs two containers in pod1, the sidecar bound to localhost', () => {
    const pod1 = m.pods.find((p) => p.name === 'pod1')!;
    expect(pod1.containers.map((c) => [c.name, c.httpPort, c.udpPort, c.bind])).toEqual([
      ['web', 8080, 8081, '0.0.0.0'],
      ['sidecar', 9090, undefined, '127.0.0.1'],
    ]);
  });

  it('has the Service web (LoadBalancer, NodePort 30080) on 80/TCP (http) and 81/UDP, and the cluster DNS Service', () => {
    const web = m.services.find((s) => s.name === 'web')!;
    expect(web.type).toBe('LoadBalancer');
    expect(cidrContainsIp(m.cluster.serviceCIDR, web.clusterIP)).toBe(true);
    expect(['10.96.0.0', '10.96.0.1', m.cluster.dnsIP]).not.toContain(web.clusterIP);
    expect(web.ports).toEqual([
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 },
      { name: 'udp', protocol: 'UDP', port: 81, targetPort: 8081, nodePort: expect.any(Number) },
    ]);
    expect(web.selector).toEqual({ app: 'web' });
    const dns = m.services.find((s) => s.namespace === 'kube-system' && s.name === 'kube-dns')!;
    expect(dns.clusterIP).toBe(m.cluster.dnsIP);
    const vips = m.services.filter((s) => s.clusterIP !== 'None').map((s) => s.clusterIP);
    expect(new Set(vips).size).toBe(vips.length);
  });

  it('is deterministic across runs, but for the random names of Deployment pods', () => {
    // A ReplicaSet's pods get random suffixes; what the names derive from (netns, veth) follows them.
    const anon = (x: typeof m) => ({
      ...x,
      pods: x.pods.map((p) => (p.owner ? { ...p, name: '', netns: '', hostVeth: '' } : p)),
    });
    const again = loadTopology(GUIDE);
    expect(anon(again)).toEqual(anon(m));
    expect(JSON.stringify(anon(again))).toBe(JSON.stringify(anon(m)));
    expect(again.pods.filter((p) => p.owner).map((p) => p.name)).not.toEqual(
      m.pods.filter((p) => p.owner).map((p) => p.name),
    );
  });

  it('applies and validates CLI overrides', () => {
    const o = loadTopology(GUIDE, { name: 'other', proxy: 'ipvs', cni: 'vxlan', iptablesBackend: 'legacy' });
    expect(o.name).toBe('other');
    expect(o.nodes[0].container).toBe('k8s-netlab-other-node1');
    expect(o.cluster).toMatchObject({ proxy: 'ipvs', cni: 'vxlan', iptablesBackend: 'legacy' });
    const errs = errorsOf(() =>
      loadTopology(GUIDE, { proxy: 'ipvsx' as never, cni: 'flannel' as never, name: 'Bad_Name' }),
    );
    expect(errorAt(errs, '--proxy').hint).toMatch(/iptables, nftables, ipvs.*did you mean "ipvs"/);
    expect(errorAt(errs, '--cni').hint).toContain('vpc-routes, host-gw, vxlan, vpc-native');
    expect(errorAt(errs, '--name').message).toMatch(/DNS-1123/);
  });
});
