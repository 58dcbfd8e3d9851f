import { renderNodeBase } from '../../src/plan/node';
import { podMtu } from '../../src/plan/cni';
import { renderPod, renderPodDelete } from '../../src/plan/pod';
import { renderVpc } from '../../src/plan/vpc';
import { LabModel } from '../../src/model/types';
import { fixtureModel } from '../fixtures/model';

/** The fixture as the resolver makes it in vpc-native mode: node blocks and pods in the VPC subnet. */
function vpcNativeModel(): LabModel {
  const m = fixtureModel({ cni: 'vpc-native', podCIDR: '10.0.1.0/24' });
  m.nodes.forEach((n, i) => Object.assign(n, { podCIDR: `10.0.1.${64 * (i + 1)}/26`, cbr0IP: '169.254.1.1' }));
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
  it('gives a pod its VPC address as a /32, a link-local gateway with a static neighbour, and a host /32 route', () => {
    const pod = m.pods[0];
    expect(pod.ip).toBe('10.0.1.66');
    const s = renderPod(m, m.nodes[0], pod).join('\n');
    expect(s).toContain('ip -n pod1 addr add 10.0.1.66/32 dev eth0');
    expect(s).toContain('ip -n pod1 route add 169.254.1.1 dev eth0 scope link');
    expect(s).toContain('ip -n pod1 route add default via 169.254.1.1 dev eth0');
    expect(s).toContain(`ip -n pod1 neigh add 169.254.1.1 lladdr "$(cat /sys/class/net/${pod.hostVeth}/address)" dev eth0 nud permanent`);
    expect(s).toContain(`ip route add 10.0.1.66/32 dev ${pod.hostVeth} scope link`);
    expect(s).not.toContain('master cbr0');
    expect(s).not.toContain('hairpin');
    expect(s).toContain(`mtu ${podMtu(m)} type veth`);
    expect(s).toContain(`ip -n pod1 link set eth0 mtu ${podMtu(m)}`);
  });
  it('deleting the pod deletes its veth (and with it the /32 route)', () => {
    expect(renderPodDelete(m.pods[0]).join('\n')).toContain(`ip link del ${m.pods[0].hostVeth}`);
  });
  it('needs no pod routes on the VPC router: pods are in the subnet', () => {
    const vpc = renderVpc(m).join('\n');
    expect(vpc).not.toMatch(/ip route add/);
    expect(podMtu(m)).toBe(1500);
  });
});
