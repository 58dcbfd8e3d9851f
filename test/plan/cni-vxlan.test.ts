import { renderConflist } from '../../src/plan/cni-config';
import { renderNodeBase } from '../../src/plan/node';
import { renderVpc } from '../../src/plan/vpc';
import { podMtu, renderVxlan, vtepAddress, vtepMac } from '../../src/plan/cni';
import { fixtureModel } from '../fixtures/model';

describe('cni vxlan (flannel) plan', () => {
  const m = fixtureModel({ cni: 'vxlan' });
  const lines = renderVxlan(m, m.nodes[0]);
  it('derives a stable, unicast, locally administered VTEP MAC per node', () => {
    const mac = vtepMac('node1');
    expect(mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(vtepMac('node1')).toBe(mac);
    expect(vtepMac('node2')).not.toBe(mac);
    const first = parseInt(mac.slice(0, 2), 16);
    expect(first & 1).toBe(0);
    expect(first & 2).toBe(2);
  });
  it('creates flannel.1: VNI 1, UDP 8472, local node address on eth0, no learning, pod block .0/32', () => {
    expect(lines).toContain(
      `ip link add flannel.1 address ${vtepMac('node1')} type vxlan id 1 local 10.0.1.11 dev eth0 dstport 8472 nolearning`,
    );
    expect(lines).toContain('ip addr add 10.244.0.0/32 dev flannel.1');
    expect(lines).toContain('ip link set flannel.1 mtu 1450');
    expect(vtepAddress(m.nodes[2])).toBe('10.244.2.0');
  });
  it('adds per peer a static FDB entry, a permanent neighbour and an onlink route via the peer VTEP', () => {
    for (const peer of m.nodes.slice(1)) {
      const mac = vtepMac(peer.name);
      const vtep = vtepAddress(peer);
      expect(lines).toContain(`bridge fdb add ${mac} dev flannel.1 dst ${peer.ip} self permanent`);
      expect(lines).toContain(`ip neigh add ${vtep} lladdr ${mac} dev flannel.1 nud permanent`);
      expect(lines).toContain(`ip route add ${peer.podCIDR} via ${vtep} dev flannel.1 onlink`);
    }
    expect(lines.join('\n')).not.toContain(vtepMac('node1') + ' dev flannel.1 dst');
    expect(lines.filter((l) => l.startsWith('ip route add'))).toHaveLength(2);
  });
  it('lowers the pod MTU by the 50-byte overhead on cbr0 and the pod veths', () => {
    expect(podMtu(m)).toBe(1450);
    expect(podMtu(fixtureModel({ cni: 'vxlan', mtu: 9000 }))).toBe(8950);
    expect(renderNodeBase(m, m.nodes[0]).join('\n')).toContain('ip link set cbr0 mtu 1450');
    // The bridge plugin sets the MTU on both ends of the pair: the pod's eth0 is where "message too long" comes from.
    expect(renderConflist(m, m.nodes[0]).plugins).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'bridge', mtu: 1450 })]),
    );
  });
  it('is part of the node plan, after cbr0; the VPC router holds no pod routes', () => {
    const node = renderNodeBase(m, m.nodes[1]);
    expect(node.findIndex((l) => l.startsWith('ip link add flannel.1'))).toBeGreaterThan(
      node.indexOf('ip link add cbr0 type bridge'),
    );
    expect(renderVpc(m).join('\n')).not.toContain('10.244.');
  });
});
