import {
  indexCapturePoints,
  parseIpLinkNames,
  parseLinkListing,
  pointTarget,
  shortContainerName,
} from '../../src/trace/capture-points';
import { parseCapturePoints } from '../../src/trace/capture-plan';
import { fixtureModel } from '../fixtures/model';

// What `ip -o link show` prints in a node container and in a pod namespace (from the guide lab).
const NODE1 = [
  '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
  '2: eth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether ae:f5:6e:8a:9c:16 brd ff:ff:ff:ff:ff:ff link-netnsid 0',
  '3: cbr0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 4a:8b:4d:51:15:c7 brd ff:ff:ff:ff:ff:ff',
  '4: veth00000000@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master cbr0 state UP mode DEFAULT group default qlen 1000\\    link/ether e6:1a:35:5e:54:26 brd ff:ff:ff:ff:ff:ff link-netns pod1',
  '7: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN mode DEFAULT group default \\    link/ether 2a:57:b5:38:1f:7d brd ff:ff:ff:ff:ff:ff',
].join('\n');
const POD = [
  '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
  '2: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 62:35:e5:77:e7:e8 brd ff:ff:ff:ff:ff:ff link-netnsid 0',
].join('\n');

describe('capture points from the model and from ip -o link', () => {
  const m = fixtureModel();

  it('reads interface names, dropping the @ifN peer suffix', () => {
    expect(parseIpLinkNames(NODE1)).toEqual(['lo', 'eth0', 'cbr0', 'veth00000000', 'kube-ipvs0']);
    expect(parseIpLinkNames('')).toEqual([]);
  });

  it('splits the listing by ip netns', () => {
    const l = parseLinkListing(`${NODE1}\n@netns pod1\n${POD}\n@netns pod2\n${POD}\n`);
    expect(l.root).toContain('kube-ipvs0');
    expect(l.netns).toEqual({ pod1: ['lo', 'eth0'], pod2: ['lo', 'eth0'] });
  });

  it('names containers as targets do, and new containers by their name in the lab', () => {
    expect(shortContainerName(m, { name: 'k8s-netlab-t-vpc', role: 'vpc' })).toBe('vpc');
    expect(shortContainerName(m, { name: 'k8s-netlab-t-node2', role: 'node' })).toBe('node2');
    expect(shortContainerName(m, { name: 'k8s-netlab-t-igw', role: 'igw' })).toBe('igw');
    expect(shortContainerName(m, { name: 'other', role: 'lb' })).toBe('lb');
  });

  it('adds observed interfaces and containers the model does not know, without code for them', () => {
    const containers = [
      { name: 'k8s-netlab-t-node1', role: 'node' },
      { name: 'k8s-netlab-t-vpc', role: 'vpc' },
      { name: 'k8s-netlab-t-igw', role: 'igw' },
      { name: 'k8s-netlab-t-fabric-1-2', role: 'helper' },
    ];
    const listings = {
      'k8s-netlab-t-node1': parseLinkListing(`${NODE1}\n@netns pod1\n${POD}`),
      'k8s-netlab-t-igw': parseLinkListing('1: lo: <LOOPBACK>\n2: eth0@if9: <UP>\n3: pub0@if3: <UP>'),
      'k8s-netlab-t-fabric-1-2': parseLinkListing('2: eth0@if9: <UP>'),
    };
    const idx = indexCapturePoints(m, containers, listings);
    // The model's points come first and stay valid.
    expect(idx.points.slice(0, 2)).toEqual(['node1:eth0', 'node1:cbr0']);
    for (const p of ['node2/pod3:eth0', 'vpc:v-node2', 'vpc:br-subnet-a']) expect(idx.points).toContain(p);
    // Observed: kube-ipvs0 on node1, the pod's lo, a new igw container and its interfaces.
    for (const p of ['node1:kube-ipvs0', 'node1/pod1:lo', 'igw:pub0', 'igw:eth0', 'igw:any'])
      expect(idx.points).toContain(p);
    expect(idx.points.some((p) => p.startsWith('fabric'))).toBe(false);
    expect(new Set(idx.points).size).toBe(idx.points.length);
    expect(idx.targets['igw']).toEqual({ target: 'igw', container: 'k8s-netlab-t-igw' });
    expect(idx.targets['node1/pod1']).toEqual({ target: 'node1/pod1', container: 'k8s-netlab-t-node1', netns: 'pod1' });
    expect(pointTarget('node1/pod1:eth0')).toBe('node1/pod1');
    // The lab's points drive validation: a typo is exit 2 with the target's interfaces listed.
    expect(parseCapturePoints(['igw:pub0', 'node1:cbr0'], idx.points).map((p) => p.point)).toEqual([
      'igw:pub0',
      'node1:cbr0',
    ]);
    let err: { exitCode?: number; hint?: string; message?: string } = {};
    try {
      parseCapturePoints(['igw:pub1'], idx.points);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('igw:pub1');
    expect(err.hint).toContain('pub0');
  });

  it('gives pods outside the default namespace their NODE/NAMESPACE/POD spelling', () => {
    const mm = fixtureModel();
    mm.pods.push({
      ...mm.pods[2],
      name: 'coredns',
      namespace: 'kube-system',
      netns: 'kube-system.coredns',
      ip: '10.244.1.9',
    });
    const idx = indexCapturePoints(mm, [{ name: 'k8s-netlab-t-node2', role: 'node' }], {
      'k8s-netlab-t-node2': parseLinkListing(`@netns kube-system.coredns\n${POD}`),
    });
    expect(idx.points).toContain('node2/kube-system/coredns:eth0');
    expect(idx.points).toContain('node2/kube-system/coredns:lo');
    expect(idx.targets['node2/kube-system/coredns'].netns).toBe('kube-system.coredns');
    expect(parseCapturePoints(['node2/kube-system/coredns:eth0'], idx.points)[0]).toMatchObject({
      pod: 'coredns',
      namespace: 'kube-system',
    });
  });
});
