import { cniBatches } from '../fixtures/cni';
import { renderConflist } from '../../src/plan/cni-config';
import { renderNodeBase } from '../../src/plan/node';
import { podMtu } from '../../src/plan/cni';
import { renderPod, renderPodDelete } from '../../src/plan/pod';
import { renderVpc } from '../../src/plan/vpc';
import { LabModel } from '../../src/model/types';
import { fixtureModel } from '../fixtures/model';

/** The fixture as the resolver makes it in vpc-native mode: node blocks and pods in the VPC subnet. */
function vpcNativeModel(): LabModel {
  const m = fixtureModel({ cni: 'vpc-native', podCIDR: '10.0.1.0/24' });
  m.nodes.forEach((n, i) =>
    Object.assign(n, { podCIDR: `10.0.1.${64 * (i + 1)}/26`, cbr0IP: `10.0.1.${64 * (i + 1) + 1}` }),
  );
  m.pods.forEach((p) => {
    const i = Number(p.node.slice(-1));
    p.ip = `10.0.1.${64 * i + Number(p.ip.split('.')[3])}`;
  });
  return m;
}

describe('cni vpc-native (AWS VPC CNI style) plan', () => {
  const m = vpcNativeModel();
  it('has no cbr0; the node proxy-ARPs on eth0 for its pods, without delay', () => {
    const s = renderNodeBase(m, m.nodes[0]).join('\n');
    expect(s).not.toContain('cbr0');
    expect(s).toContain('echo 1 > /proc/sys/net/ipv4/conf/eth0/proxy_arp');
    expect(s).toContain('echo 0 > /proc/sys/net/ipv4/neigh/eth0/proxy_delay');
    expect(s).not.toMatch(/ip route add 10\.0\.1\./);
  });
  it("plumbs pods with ptp (no bridge): host-local on the node's share of the subnet, gateway its first address", () => {
    const pod = m.pods[0];
    expect(pod.ip).toBe('10.0.1.66');
    const list = renderConflist(m, m.nodes[0]) as { name: string; plugins: Array<Record<string, any>> };
    expect(list.name).toBe('aws-cni');
    expect(list.plugins.map((p) => p.type)).toEqual(['ptp', 'portmap']);
    expect(list.plugins[0]).toMatchObject({
      mtu: podMtu(m),
      ipMasq: false,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: '10.0.1.64/26', gateway: '10.0.1.65' }]],
        routes: [{ dst: '0.0.0.0/0' }],
      },
    });
    const lines = renderPod(m, m.nodes[0], pod);
    const [add] = cniBatches(lines);
    expect(add.items[1]).toMatchObject({ config: '/etc/cni/net.d/10-aws.conflist', ifname: 'eth0' });
    expect(add.items[1].args).toContain('IP=10.0.1.66');
    expect(lines.join('\n')).not.toContain('cbr0');
  });
  it('deleting the pod is a CNI DEL of its network (ptp removes the veth and its /32 route), then the namespace goes', () => {
    const lines = renderPodDelete(m, m.pods[0]);
    const [del] = cniBatches(lines);
    expect(del.items[0]).toMatchObject({ config: '/etc/cni/net.d/10-aws.conflist', ifname: 'eth0' });
    expect(lines.findIndex((l) => l.startsWith('ip netns del'))).toBeGreaterThan(del.index);
  });
  it('needs no pod routes on the VPC router: pods are in the subnet', () => {
    const vpc = renderVpc(m).join('\n');
    expect(vpc).not.toMatch(/ip route add/);
    expect(podMtu(m)).toBe(1500);
  });
});
