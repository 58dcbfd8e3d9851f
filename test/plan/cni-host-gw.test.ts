import { renderNodeBase } from '../../src/plan/node';
import { renderVpc } from '../../src/plan/vpc';
import { podMtu, renderHostGw } from '../../src/plan/cni';
import { fixtureModel } from '../fixtures/model';

describe('cni host-gw plan', () => {
  const m = fixtureModel({ cni: 'host-gw' });
  it('routes every other node pod block via that node on eth0, and nothing to its own', () => {
    const s = renderNodeBase(m, m.nodes[0]).join('\n');
    expect(s).toContain('ip route add 10.244.1.0/24 via 10.0.1.12 dev eth0');
    expect(s).toContain('ip route add 10.244.2.0/24 via 10.0.1.13 dev eth0');
    expect(s).not.toContain('ip route add 10.244.0.0/24');
    expect(s).not.toContain('onlink');
    expect(renderHostGw(m, m.nodes[1]).filter((l) => l.startsWith('ip route'))).toEqual([
      'ip route add 10.244.0.0/24 via 10.0.1.11 dev eth0',
      'ip route add 10.244.2.0/24 via 10.0.1.13 dev eth0',
    ]);
  });
  it('leaves the VPC router without pod routes', () => {
    expect(renderVpc(m).join('\n')).not.toContain('10.244.');
  });
  it('forced across subnets: the cross-subnet next hop is installed onlink (and will not resolve)', () => {
    const two = fixtureModel({ cni: 'host-gw' });
    two.subnets.push({ name: 'az-b', cidr: '10.0.2.0/24', gateway: '10.0.2.1', bridge: 'br-az-b' });
    Object.assign(two.nodes[1], { subnet: 'az-b', ip: '10.0.2.10', gateway: '10.0.2.1' });
    const s = renderHostGw(two, two.nodes[0]);
    expect(s).toContain('ip route add 10.244.1.0/24 via 10.0.2.10 dev eth0 onlink');
    expect(s).toContain('ip route add 10.244.2.0/24 via 10.0.1.13 dev eth0');
  });
  it('does not lower the pod MTU', () => {
    expect(podMtu(m)).toBe(1500);
  });
});
