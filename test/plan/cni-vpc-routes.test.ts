import { renderConflist } from '../../src/plan/cni-config';
import { renderNodeBase } from '../../src/plan/node';
import { renderVpc } from '../../src/plan/vpc';
import { podMtu, renderCniNode } from '../../src/plan/cni';
import { fixtureModel } from '../fixtures/model';

describe('cni vpc-routes plan', () => {
  const m = fixtureModel({ cni: 'vpc-routes' });
  it('puts one route per node pod block on the VPC router, none on the nodes', () => {
    const vpc = renderVpc(m).join('\n');
    for (const n of m.nodes) expect(vpc).toContain(`ip route add ${n.podCIDR} via ${n.ip}`);
    expect(renderCniNode(m, m.nodes[0])).toEqual([]);
    const node = renderNodeBase(m, m.nodes[0]).join('\n');
    expect(node).not.toMatch(/10\.244\.[12]\.0\/24/);
    expect(node).not.toContain('flannel.1');
  });
  it('keeps cbr0 and pods at the full link MTU', () => {
    expect(podMtu(m)).toBe(1500);
    expect(renderNodeBase(m, m.nodes[0]).join('\n')).toContain('ip link set cbr0 mtu 1500');
    expect(renderConflist(m, m.nodes[0]).plugins).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'bridge', mtu: 1500 })]),
    );
  });
});
