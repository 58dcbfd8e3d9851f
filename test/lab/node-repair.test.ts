import {
  renderStaleNodeState,
  renderVpcNodePort,
  renderVpcNodePortUp,
  renderForgetNode,
} from '../../src/lab/node-repair';
import { parseFaultView } from '../../src/lab/faults/watch-view';
import { fixtureModel } from '../fixtures/model';

const m = fixtureModel();
const port = (i: string, k: number) =>
  `${k}: ${i}@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br-subnet-a state UP`;
const lo = '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN';
const all = [lo, ...m.nodes.map((n, k) => port(n.vpcIface, k + 5))].join('\n');
const without2 = [lo, ...m.nodes.filter((n) => n.name !== 'node2').map((n, k) => port(n.vpcIface, k + 5))].join('\n');

describe('a restarted node (its VPC-router port gone)', () => {
  it('gets its bridge port and (vpc-routes) its pod CIDR route back on the router', () => {
    const n2 = m.nodes[1];
    const s = m.subnets.find((x) => x.name === n2.subnet)!;
    const lines = renderVpcNodePort({ ...m, cluster: { ...m.cluster, cni: 'vpc-routes' } }, n2);
    // Down until the node is rebuilt: an UP port is the node's heartbeat for lab watch.
    expect(lines).toContain(`ip link set ${n2.vpcIface} master ${s.bridge}`);
    expect(lines.join('\n')).not.toMatch(/ up$/m);
    // Up last, the node's old MAC forgotten (its new eth0 has a new one).
    expect(renderVpcNodePortUp(n2)).toEqual([`ip neigh flush to ${n2.ip}`, `ip link set ${n2.vpcIface} up`]);
    expect(renderForgetNode(n2)).toEqual([`ip neigh flush to ${n2.ip}`]);
    expect(lines).toContain(`ip route replace ${n2.podCIDR} via ${n2.ip}`);
    expect(renderVpcNodePort({ ...m, cluster: { ...m.cluster, cni: 'bridge' as never } }, n2).join('\n')).not.toMatch(
      /route/,
    );
  });

  it('is a silent node for lab watch (no heartbeat), not a node whose pods need restarting', () => {
    const sep = '\n---K8S-NETLAB-LINKS---\n';
    const v = parseFaultView(`{"active":[]}${sep}${without2}`, m);
    expect([...v.linkDown.keys()]).toEqual(['node2']);
    expect(v.linkDown.get('node2')).toMatch(/restarted, unplumbed \(lab watch or lab up re-plumbs it\)/);
    expect(parseFaultView(`{"active":[]}${sep}${all}`, m).linkDown.size).toBe(0);
    // Nothing read from the router (exec failed): no node assumed gone.
    expect(parseFaultView(`{"active":[]}${sep}`, m).linkDown.size).toBe(0);
  });

  it("clears the dead namespace's leftovers: netns files, run state, host-local reservations", () => {
    const s = renderStaleNodeState().join('\n');
    expect(s).toMatch(/for f in \/run\/netns\/\*; do .*rm -f "\$f"; done/);
    expect(s).toContain('rm -rf /run/k8s-netlab /var/lib/cni/networks');
  });
});
