import { loadTopology } from '../../src/topology/load';
import { allocateVpcNativeBlocks, coveringCidr } from '../../src/topology/vpc-native';
import { Issues } from '../../src/topology/issues';
import { parseCidr, parseIp } from '../../src/net/ipv4';
import { InputError } from '../../src/errors';
import { deployment, errorsOf, pod, resolve, topo } from './helpers';

const noDns = { dns: false } as Record<string, unknown>;
const guidePods = [
  pod('a', { nodeName: 'node1' }),
  pod('b', { nodeName: 'node1' }),
  pod('c', { nodeName: 'node2' }),
  deployment('web', 3),
];

describe('cni modes in the resolver', () => {
  it('rejects a mode that does not exist, naming the flag and the valid ones', () => {
    const errs = errorsOf(() => resolve(topo({ cluster: noDns }), { overrides: { cni: 'calico' as never } }));
    expect(errs.map((e) => e.message).join('\n')).toMatch(/--cni: "calico" is not a valid value/);
    expect(errs.map((e) => e.hint).join('\n')).toMatch(/vpc-routes, host-gw, vxlan, vpc-native/);
  });

  it('refuses host-gw across subnets unless forced', () => {
    const raw = topo({
      cluster: noDns,
      vpc: {
        subnets: [
          { name: 'az-a', cidr: '10.0.1.0/24' },
          { name: 'az-b', cidr: '10.0.2.0/24' },
        ],
      },
      nodes: [
        { name: 'node1', subnet: 'az-a' },
        { name: 'node2', subnet: 'az-b' },
      ],
    });
    const errs = errorsOf(() => resolve(raw, { overrides: { cni: 'host-gw' } }));
    expect(errs[0].message).toMatch(/--cni: host-gw needs every node in one subnet, but the nodes are in az-a, az-b/);
    expect(errs[0].exitCode).toBe(2);
    const forced = resolve(raw, { overrides: { cni: 'host-gw', force: true } });
    expect(forced.cluster.cni).toBe('host-gw');
    expect(forced.nodes.map((n) => n.subnet)).toEqual(['az-a', 'az-b']);
    // vxlan and vpc-routes need no shared segment.
    expect(resolve(raw, { overrides: { cni: 'vxlan' } }).cluster.cni).toBe('vxlan');
    expect(resolve(raw).cluster.cni).toBe('vpc-routes');
  });

  it('keeps pod blocks from the pod CIDR outside vpc-native', () => {
    const m = resolve(topo({ cluster: noDns, objects: guidePods }), { overrides: { cni: 'vxlan' } });
    expect(m.nodes.map((n) => n.podCIDR)).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);
    expect(m.cluster.podCIDR).toBe('10.244.0.0/16');
  });
});

describe('vpc-native address plan', () => {
  it('gives each node an aligned share of its subnet free of the router and node addresses; pods get addresses from it', () => {
    const m = resolve(topo({ cluster: noDns, objects: guidePods }), { overrides: { cni: 'vpc-native' } });
    expect(m.nodes.map((n) => n.ip)).toEqual(['10.0.1.10', '10.0.1.11', '10.0.1.12']);
    expect(m.nodes.map((n) => n.podCIDR)).toEqual(['10.0.1.64/26', '10.0.1.128/26', '10.0.1.192/26']);
    // ptp's gateway (host-local's default): the first address of the node's share, on every host veth.
    expect(m.nodes.every((n) => n.cbr0IP === n.podCIDR.replace(/\.(\d+)\/\d+$/, (_, a) => `.${Number(a) + 1}`))).toBe(
      true,
    );
    const mine = m.pods.filter((p) => p.namespace === 'default');
    const byName = Object.fromEntries(mine.map((p) => [p.name, p.ip]));
    expect(byName.a).toBe('10.0.1.66');
    expect(byName.b).toBe('10.0.1.67');
    expect(byName.c).toBe('10.0.1.130');
    // Every pod address is in the VPC subnet and in its own node's share.
    const subnet = parseCidr('10.0.1.0/24')!;
    for (const p of mine) {
      const ip = parseIp(p.ip)!;
      expect(ip >= subnet.network && ip < subnet.network + 256).toBe(true);
      const block = parseCidr(m.nodes.find((n) => n.name === p.node)!.podCIDR)!;
      expect(ip >= block.network && ip < block.network + 2 ** (32 - block.prefix)).toBe(true);
    }
    expect(new Set(mine.map((p) => p.ip)).size).toBe(mine.length);
    // kube-proxy tells pod traffic apart by the VPC range.
    expect(m.cluster.podCIDR).toBe('10.0.1.0/24');
  });

  it('takes the covering range of several subnets as the cluster CIDR', () => {
    const m = resolve(
      topo({
        cluster: noDns,
        vpc: {
          subnets: [
            { name: 'az-a', cidr: '10.0.1.0/24' },
            { name: 'az-b', cidr: '10.0.2.0/24' },
          ],
        },
        nodes: [
          { name: 'node1', subnet: 'az-a' },
          { name: 'node2', subnet: 'az-b' },
          { name: 'node3', subnet: 'az-a' },
        ],
      }),
      { overrides: { cni: 'vpc-native' } },
    );
    expect(m.nodes.map((n) => n.podCIDR)).toEqual(['10.0.1.64/26', '10.0.2.128/25', '10.0.1.128/26']);
    expect(m.cluster.podCIDR).toBe('10.0.0.0/22');
  });

  it('refuses a subnet with no room for a pod share per node (exit 2, names the subnet)', () => {
    const errs = errorsOf(() =>
      resolve(topo({ cluster: noDns, vpc: { subnets: [{ name: 'tiny', cidr: '10.0.1.0/28' }] } }), {
        overrides: { cni: 'vpc-native' },
      }),
    );
    expect(errs).toHaveLength(1);
    expect(errs[0]).toBeInstanceOf(InputError);
    expect(errs[0].exitCode).toBe(2);
    expect(errs[0].message).toMatch(/vpc\.subnets\[0\]\.cidr: 10\.0\.1\.0\/28 is too small for vpc-native/);
    expect(errs[0].hint).toMatch(/larger subnet/);
  });

  it('refuses more pods on a node than its share of the subnet holds', () => {
    const errs = errorsOf(() =>
      resolve(topo({ cluster: noDns, vpc: { subnets: [{ name: 's', cidr: '10.0.1.0/27' }] }, objects: guidePods }), {
        overrides: { cni: 'vpc-native' },
      }),
    );
    const text = errs.map((e) => `${e.message} ${e.hint}`).join('\n');
    expect(text).toMatch(
      /node node1: vpc-native gives it 10\.0\.1\.\d+\/30 of subnet s for its pods, 1 pod addresses, but \d+ pods are placed there/,
    );
    expect(text).toMatch(/use a larger subnet for s/);
  });

  it('the same topology fits in another mode', () => {
    expect(() =>
      resolve(topo({ cluster: noDns, vpc: { subnets: [{ name: 's', cidr: '10.0.1.0/27' }] }, objects: guidePods })),
    ).not.toThrow();
  });

  it('allocateVpcNativeBlocks picks the largest block size that fits every node', () => {
    const issues = new Issues();
    const net = parseCidr('10.0.1.0/24')!;
    const out = allocateVpcNativeBlocks(
      [{ name: 's', cidr: '10.0.1.0/24', net, gateway: parseIp('10.0.1.1'), field: 'f' }],
      [1, 2, 3, 4].map((i) => ({ name: `n${i}`, subnet: 's', ip: `10.0.1.${9 + i}` })),
      issues,
    );
    expect(issues.count).toBe(0);
    // Four nodes: /26 gives three free blocks, so /27 (seven free).
    expect([...out.values()].map((c) => c.prefix)).toEqual([27, 27, 27, 27]);
  });

  it('coveringCidr', () => {
    expect(coveringCidr([parseCidr('10.0.1.0/24')!])).toBe('10.0.1.0/24');
    expect(coveringCidr([parseCidr('10.0.1.0/24')!, parseCidr('10.0.2.0/24')!])).toBe('10.0.0.0/22');
    expect(coveringCidr([parseCidr('10.0.0.0/24')!, parseCidr('10.0.1.0/24')!])).toBe('10.0.0.0/23');
    expect(coveringCidr([])).toBeUndefined();
  });
});

describe('the shipped topologies', () => {
  it('two-az puts nodes in two subnets behind one router; host-gw is refused there', () => {
    const m = loadTopology('topologies/two-az.yaml', { name: 'cni-t' });
    expect(m.subnets.map((s) => `${s.name} ${s.cidr} ${s.gateway}`)).toEqual([
      'az-a 10.0.1.0/24 10.0.1.1',
      'az-b 10.0.2.0/24 10.0.2.1',
    ]);
    expect(new Set(m.nodes.map((n) => n.subnet)).size).toBe(2);
    expect(() => loadTopology('topologies/two-az.yaml', { cni: 'host-gw' })).toThrow(
      /host-gw needs every node in one subnet/,
    );
    expect(loadTopology('topologies/two-az.yaml', { cni: 'vxlan' }).cluster.cni).toBe('vxlan');
  });
  it.each(['vpc-routes', 'host-gw', 'vxlan', 'vpc-native'] as const)('the guide resolves in %s mode', (cni) => {
    expect(loadTopology('topologies/guide.yaml', { cni }).cluster.cni).toBe(cni);
  });
});
