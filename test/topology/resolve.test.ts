import { resolveTopology } from '../../src/topology/resolve';
import { AGNHOST, deployment, errorAt, errorsOf, netexec, pod, resolve, topo } from './helpers';

describe('resolveTopology: address plan', () => {
  it('allocates node IPs from .10 up around explicit ones, and pod blocks in order around explicit ones', () => {
    const m = resolve(
      topo({
        nodes: [{ name: 'a' }, { name: 'b', ip: '10.0.1.10', podCIDR: '10.244.0.0/24' }, { name: 'c' }],
      }),
    );
    expect(m.nodes.map((n) => [n.name, n.ip, n.podCIDR, n.cbr0IP])).toEqual([
      ['a', '10.0.1.11', '10.244.1.0/24', '10.244.1.1'],
      ['b', '10.0.1.10', '10.244.0.0/24', '10.244.0.1'],
      ['c', '10.0.1.12', '10.244.2.0/24', '10.244.2.1'],
    ]);
  });

  it('honours subnet gateways, several subnets and node labels', () => {
    const m = resolve(
      topo({
        vpc: {
          subnets: [
            { name: 'a', cidr: '10.0.1.0/24', gateway: '10.0.1.254' },
            { name: 'b', cidr: '10.0.2.0/24' },
          ],
        },
        nodes: [
          { name: 'n1', subnet: 'a', labels: { zone: 'a' } },
          { name: 'n2', subnet: 'b' },
        ],
      }),
    );
    expect(m.subnets.map((s) => [s.name, s.gateway, s.bridge])).toEqual([
      ['a', '10.0.1.254', 'br-a'],
      ['b', '10.0.2.1', 'br-b'],
    ]);
    expect(m.nodes[0]).toMatchObject({ subnet: 'a', ip: '10.0.1.10', gateway: '10.0.1.254', prefixLen: 24 });
    expect(m.nodes[0].labels).toEqual({ zone: 'a', 'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux' });
    expect(m.nodes[1]).toMatchObject({ subnet: 'b', ip: '10.0.2.10', gateway: '10.0.2.1' });
  });

  it('keeps interface names within 15 characters and distinct for long node names', () => {
    const m = resolve(topo({ nodes: [{ name: 'worker-node-number-1' }, { name: 'worker-node-number-2' }] }));
    const ifs = m.nodes.map((n) => n.vpcIface);
    ifs.forEach((i) => expect(i.length).toBeLessThanOrEqual(15));
    expect(ifs[0]).not.toBe(ifs[1]);
    expect(ifs[0]).toMatch(/^v-/);
    expect(m.nodes[0].container).toBe('k8s-netlab-t-worker-node-number-1');
  });

  it('uses the prefix for container names', () => {
    const m = resolve(topo({ prefix: 'lab' }));
    expect(m.nodes[0].container).toBe('lab-t-node1');
    expect(m.vpc.container).toBe('lab-t-vpc');
  });
});

describe('resolveTopology: bad input (every error names the field and the fix)', () => {
  it('bad CIDRs', () => {
    const errs = errorsOf(() =>
      resolve(
        topo({
          cluster: { podCIDR: '10.244.1.0/16', serviceCIDR: '10.96.0.0/33' },
          vpc: { subnets: [{ name: 's', cidr: '10.0.1.5/24' }] },
        }),
      ),
    );
    expect(errorAt(errs, 'cluster.podCIDR').hint).toBe('use 10.244.0.0/16');
    expect(errorAt(errs, 'cluster.serviceCIDR').message).toMatch(/not an IPv4 CIDR/);
    expect(errorAt(errs, 'vpc.subnets[0].cidr').hint).toBe('use 10.0.1.0/24');
  });

  it('overlapping CIDRs: pod vs service, subnet vs pod, subnet vs service, subnet vs subnet', () => {
    const errs = errorsOf(() =>
      resolve(
        topo({
          cluster: { podCIDR: '10.0.0.0/16', serviceCIDR: '10.0.128.0/20' },
          vpc: {
            subnets: [
              { name: 'a', cidr: '10.0.1.0/24' },
              { name: 'b', cidr: '10.0.1.128/25' },
              { name: 'c', cidr: '10.0.130.0/24' },
            ],
          },
          nodes: [{ name: 'n', subnet: 'a' }],
        }),
      ),
    );
    expect(errorAt(errs, 'cluster.serviceCIDR').message).toMatch(/overlaps cluster.podCIDR/);
    expect(
      errs
        .filter((e) => e.field === 'vpc.subnets[0].cidr')
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/overlaps cluster.podCIDR/);
    const b = errs.filter((e) => e.field === 'vpc.subnets[1].cidr').map((e) => e.message);
    expect(b.join('\n')).toMatch(/overlaps subnet a/);
    expect(
      errs
        .filter((e) => e.field === 'vpc.subnets[2].cidr')
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/overlaps cluster.serviceCIDR/);
    for (const e of errs) expect(e.hint).toMatch(/disjoint|pick|use/);
  });

  it('duplicate node names, reserved names and invalid names', () => {
    const errs = errorsOf(() =>
      resolve(topo({ nodes: [{ name: 'node1' }, { name: 'node1' }, { name: 'vpc' }, { name: 'Node_4' }] })),
    );
    expect(errorAt(errs, 'nodes[1].name').message).toMatch(/duplicate node name "node1"/);
    expect(errorAt(errs, 'nodes[2].name').hint).toMatch(/reserved/);
    expect(errorAt(errs, 'nodes[3].name').message).toMatch(/DNS-1123 label/);
  });

  it('node IP outside its subnet, duplicated, equal to the gateway, and an unknown subnet', () => {
    const errs = errorsOf(() =>
      resolve(
        topo({
          nodes: [
            { name: 'n1', ip: '10.0.2.5' },
            { name: 'n2', ip: '10.0.1.20' },
            { name: 'n3', ip: '10.0.1.20' },
            { name: 'n4', ip: '10.0.1.1' },
            { name: 'n5', subnet: 'subnet-b' },
            { name: 'n6', ip: '10.0.1.255' },
          ],
        }),
      ),
    );
    expect(errorAt(errs, 'nodes[0].ip').message).toMatch(/10\.0\.2\.5 is outside subnet subnet-a \(10\.0\.1\.0\/24\)/);
    expect(errorAt(errs, 'nodes[0].ip').hint).toMatch(/10\.0\.1\.1 and 10\.0\.1\.254/);
    expect(errorAt(errs, 'nodes[2].ip').message).toMatch(/already used by node n2/);
    expect(errorAt(errs, 'nodes[3].ip').message).toMatch(/gateway of subnet subnet-a/);
    expect(errorAt(errs, 'nodes[4].subnet').hint).toMatch(/use one of: subnet-a \(did you mean "subnet-a"\?\)/);
    expect(errorAt(errs, 'nodes[5].ip').message).toMatch(/outside subnet/);
  });

  it('subnet required with several subnets; node subnet full', () => {
    const errs = errorsOf(() =>
      resolve(
        topo({
          vpc: {
            subnets: [
              { name: 'a', cidr: '10.0.1.0/29' },
              { name: 'b', cidr: '10.0.2.0/24' },
            ],
          },
          nodes: [{ name: 'x' }, ...Array.from({ length: 6 }, (_, i) => ({ name: `n${i}`, subnet: 'a' }))],
        }),
      ),
    );
    expect(errorAt(errs, 'nodes[0].subnet').hint).toMatch(/one of a, b/);
    expect(errorAt(errs, 'nodes[6]').message).toMatch(/no free address left .* subnet a/);
  });

  it('dnsIP outside serviceCIDR, bad domain, bad MTU, bad node port range', () => {
    const errs = errorsOf(() =>
      resolve(
        topo({ cluster: { dnsIP: '10.97.0.10', domain: 'Cluster_Local', mtu: 100, nodePortRange: '32767-30000' } }),
      ),
    );
    expect(errorAt(errs, 'cluster.dnsIP').message).toMatch(/outside cluster.serviceCIDR 10\.96\.0\.0\/16/);
    expect(errorAt(errs, 'cluster.dnsIP').hint).toMatch(/10\.96\.0\.10/);
    expect(errorAt(errs, 'cluster.domain').message).toMatch(/must be a DNS domain/);
    expect(errorAt(errs, 'cluster.domain').hint).toMatch(/cluster\.local/);
    expect(errorAt(errs, 'cluster.mtu').hint).toMatch(/576\.\.9216/);
    expect(errorAt(errs, 'cluster.nodePortRange').hint).toMatch(/30000-32767/);
  });

  it("dnsIP on the service CIDR's network, broadcast or kubernetes address; a domain with a trailing dot", () => {
    for (const [dnsIP, message] of [
      ['10.96.0.0', /outside cluster.serviceCIDR/],
      ['10.96.255.255', /outside cluster.serviceCIDR/],
      ['10.96.0.1', /the kubernetes Service's address/],
      ['10.96.0.300', /not an IPv4 address/],
    ] as const) {
      const errs = errorsOf(() => resolve(topo({ cluster: { dnsIP } })));
      expect(errorAt(errs, 'cluster.dnsIP').message).toMatch(message);
    }
    const errs = errorsOf(() => resolve(topo({ cluster: { domain: 'cluster.local.' } })));
    expect(errorAt(errs, 'cluster.domain').message).toMatch(/must be a DNS domain/);
    expect(resolve(topo({ cluster: { domain: 'corp.example.com' } })).cluster.domain).toBe('corp.example.com');
  });

  it('proxy/cni/backend/scheduler values not in the enum list the valid ones', () => {
    const errs = errorsOf(() =>
      resolve(topo({ cluster: { proxy: 'userspace', cni: 'calico', iptablesBackend: 'xt', ipvsScheduler: 'fifo' } })),
    );
    expect(errorAt(errs, 'cluster.proxy').hint).toMatch(/iptables, nftables, ipvs/);
    expect(errorAt(errs, 'cluster.cni').hint).toMatch(/vpc-routes, host-gw, vxlan, vpc-native/);
    expect(errorAt(errs, 'cluster.iptablesBackend').hint).toMatch(/nft, legacy/);
    expect(errorAt(errs, 'cluster.ipvsScheduler').hint).toMatch(/rr, wrr/);
  });

  it('nodePodPrefix not longer than the podCIDR prefix', () => {
    const errs = errorsOf(() => resolve(topo({ cluster: { podCIDR: '10.244.0.0/24', nodePodPrefix: 24 } })));
    const e = errorAt(errs, 'cluster.nodePodPrefix');
    expect(e.message).toMatch(/\/24 is not longer than the podCIDR prefix \/24/);
    expect(e.hint).toMatch(/greater than 24/);
  });

  it('too many nodes for the pod CIDR', () => {
    const errs = errorsOf(() => resolve(topo({ cluster: { podCIDR: '10.244.0.0/23', nodePodPrefix: 24 } })));
    const e = errorAt(errs, 'cluster.podCIDR');
    expect(e.message).toMatch(/gives 2 node blocks, not enough for 3 nodes/);
    expect(e.hint).toMatch(/larger cluster.podCIDR or a longer cluster.nodePodPrefix/);
  });

  it('explicit node pod blocks outside the pod CIDR or overlapping', () => {
    const errs = errorsOf(() =>
      resolve(
        topo({
          nodes: [
            { name: 'a', podCIDR: '10.245.0.0/24' },
            { name: 'b', podCIDR: '10.244.0.0/23' },
            { name: 'c', podCIDR: '10.244.1.0/24' },
          ],
        }),
      ),
    );
    expect(errorAt(errs, 'nodes[0].podCIDR').message).toMatch(/not a block inside cluster.podCIDR/);
    expect(errorAt(errs, 'nodes[2].podCIDR').message).toMatch(/overlaps the pod block of node b/);
  });

  it('pods: placed on a missing node (lists the nodes), duplicate names, invalid names, unknown namespace', () => {
    const errs = errorsOf(() =>
      resolve(
        topo({
          objects: [
            pod('p1', { nodeName: 'node9' }),
            pod('p2'),
            pod('p2'),
            pod('P_3'),
            pod('p4', {}, { namespace: 'team' }),
            pod('p5', {}, { namespace: 'Bad_NS' }),
          ],
        }),
      ),
    );
    const e = errorAt(errs, 'objects[0].spec.nodeName');
    expect(e.message).toMatch(/node "node9" does not exist/);
    expect(e.hint).toMatch(/node1, node2, node3/);
    expect(errorAt(errs, 'objects[2].metadata.name').message).toMatch(/pods "p2" already exists in namespace default/);
    expect(errorAt(errs, 'objects[3].metadata.name').message).toMatch(/DNS-1123 label/);
    expect(errorAt(errs, 'objects[4].metadata.namespace').hint).toMatch(/kind: Namespace, metadata: \{name: team\}/);
    expect(errorAt(errs, 'objects[5].metadata.namespace').message).toMatch(/DNS-1123/);
  });

  it('pods in the same name in different namespaces are fine; netns names stay distinct', () => {
    const m = resolve(
      topo({
        objects: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
          pod('p', { nodeName: 'node1' }),
          pod('p', { nodeName: 'node1' }, { namespace: 'team' }),
        ],
      }),
    );
    expect(m.pods.map((p) => p.netns)).toEqual(['p', 'team.p']);
    expect(m.pods[0].hostVeth).not.toBe(m.pods[1].hostVeth);
  });

  it('more pods than a node block holds (IPAM exhaustion)', () => {
    const objects = Array.from({ length: 7 }, (_, i) => pod(`p${i}`, { nodeName: 'node1' }));
    const errs = errorsOf(() => resolve(topo({ cluster: { nodePodPrefix: 29 }, objects })));
    // /29: .1 cbr0, .2-.6 pods -> 5 fit, 2 do not; one error for the node, at the first pod that did not fit.
    expect(errs).toHaveLength(1);
    expect(errs[0].field).toBe('objects[5] (pod default/p5)');
    expect(errs[0].message).toMatch(
      /node node1: its pod block 10\.244\.0\.0\/29 holds 5 pod addresses \(cbr0 takes 10\.244\.0\.1\) but 7 pods are placed there/,
    );
    expect(errs[0].hint).toMatch(/spread the pods/);
    // Exactly at capacity is fine.
    const ok = resolve(topo({ cluster: { nodePodPrefix: 29 }, objects: objects.slice(0, 5) }));
    expect(ok.pods.map((p) => p.ip)).toEqual(['10.244.0.2', '10.244.0.3', '10.244.0.4', '10.244.0.5', '10.244.0.6']);
  });

  it('containers: non-netexec images, duplicate names, port clashes, bad flags', () => {
    const errs = errorsOf(() =>
      resolve(
        topo({
          objects: [
            pod('a', { containers: [{ name: 'c', image: 'nginx:1.25' }, netexec('n')] }),
            pod('b', { containers: [netexec('c'), netexec('c', ['netexec', '--http-port=9090', '--udp-port=0'])] }),
            pod('c', {
              containers: [
                netexec('x'),
                netexec('y', ['netexec', '--http-port=8080', '--udp-port=0', '--http-bind=127.0.0.1']),
              ],
            }),
            pod('d', { containers: [netexec('x', ['netexec', '--http-port=70000', '--shutdown-delay=1'])] }),
            pod('e', { containers: [{ name: 'x', image: AGNHOST, args: ['pause'] }] }),
          ],
        }),
      ),
    );
    expect(errorAt(errs, 'objects[0].spec.containers[0].image').message).toMatch(
      /container pod holds exactly one container \(this pod has 2\)/,
    );
    expect(errorAt(errs, 'objects[1].spec.containers[1].name').message).toBe(
      'objects[1].spec.containers[1].name: Duplicate value: "c"',
    );
    expect(errorAt(errs, 'objects[2].spec.containers[1].args').message).toMatch(
      /containers "x" and "y" both listen on TCP port 8080/,
    );
    const d = errs.filter((e) => e.field === 'objects[3].spec.containers[0].args').map((e) => e.message);
    expect(d.join('\n')).toMatch(/unsupported netexec flag "--shutdown-delay=1"/);
    expect(d.join('\n')).toMatch(/--http-port=70000 is not a port/);
    expect(errorAt(errs, 'objects[4].spec.containers[0].image').hint).toMatch(/args \[netexec/);
  });

  it('accepts the netexec image forms and separate-value flags', () => {
    const m = resolve(
      topo({
        objects: [
          pod('a', {
            containers: [{ name: 'c', image: 'k8s-netlab/netexec:1', args: ['--http-port', '80', '--udp-port=0'] }],
          }),
          pod('b', { containers: [{ name: 'c', image: 'netexec' }] }),
          pod('c', { containers: [{ name: 'c', image: AGNHOST, command: ['/agnhost', 'netexec', '--udp-port=53'] }] }),
        ],
      }),
    );
    expect(m.pods.map((p) => [p.containers[0].httpPort, p.containers[0].udpPort, p.containers[0].bind])).toEqual([
      [80, undefined, '0.0.0.0'],
      [8080, 8081, '0.0.0.0'],
      [8080, 53, '0.0.0.0'],
    ]);
  });

  it('deployments: selector must match template labels; matchExpressions unsupported', () => {
    const d = deployment('web', 2) as { spec: { template: { metadata: { labels: Record<string, string> } } } };
    d.spec.template.metadata.labels = { app: 'other' };
    const errs = errorsOf(() =>
      resolve(
        topo({
          objects: [
            d as never,
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              metadata: { name: 'x' },
              spec: {
                selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] },
                template: { metadata: { labels: { a: 'b' } }, spec: { containers: [netexec()] } },
              },
            } as never,
          ],
        }),
      ),
    );
    expect(errorAt(errs, 'objects[0].spec.template.metadata.labels').message).toMatch(
      /`selector` does not match template `labels`/,
    );
    expect(errorAt(errs, 'objects[1].spec.selector.matchExpressions').hint).toMatch(/matchLabels/);
  });

  it('deployment pods: ReplicaSet-style random names, template-hash label, owner, fresh names on every load', () => {
    const m3 = resolve(topo({ objects: [deployment('web', 3)] }));
    const m4 = resolve(topo({ objects: [deployment('web', 4)] }));
    const names3 = m3.pods.map((p) => p.name);
    expect(new Set(names3).size).toBe(3);
    for (const p of m3.pods) {
      expect(p.name).toMatch(/^web-[0-9a-f]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p.labels['pod-template-hash']).toBe(p.name.split('-')[1]);
      expect(p.owner).toBe('web');
    }
    // Random generateName suffixes: another load draws other names.
    expect(m4.pods.map((p) => p.name)).not.toEqual(expect.arrayContaining(names3));
    expect(new Set(m4.pods.map((p) => p.name)).size).toBe(4);
    expect(m3.deployments).toEqual([
      { name: 'web', namespace: 'default', replicas: 3, selector: { app: 'web' }, template: expect.any(Object) },
    ]);
    // Changing the template changes the hash, like a rollout.
    const changed = resolve(
      topo({ objects: [deployment('web', 1, { containers: [netexec('web', ['netexec', '--http-port=9000'])] })] }),
    );
    expect(changed.pods[0].labels['pod-template-hash']).not.toBe(m3.pods[0].labels['pod-template-hash']);
    // Long names are truncated to 63 characters as the apiserver does.
    const long = resolve(topo({ objects: [deployment('a'.repeat(60), 1)] }));
    expect(long.pods[0].name.length).toBe(63);
  });

  it('hostAliases: carried to the pod; a bad ip or hostname is refused naming the field', () => {
    const ok = resolve(
      topo({ objects: [pod('a', { hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar'] }] })] }),
    );
    expect(ok.pods[0].hostAliases).toEqual([{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar'] }]);
    const errs = errorsOf(() =>
      resolve(topo({ objects: [pod('a', { hostAliases: [{ ip: 'nope', hostnames: ['Bad_Name'] }] })] })),
    );
    expect(errorAt(errs, 'objects[0].spec.hostAliases[0].ip').message).toMatch(/must be a valid IP address/);
    expect(errorAt(errs, 'objects[0].spec.hostAliases[0].hostnames[0]').message).toMatch(/DNS-1123 subdomain/);
  });

  it('hostNetwork is refused for now', () => {
    const errs = errorsOf(() => resolve(topo({ objects: [pod('a', { hostNetwork: true })] })));
    expect(errorAt(errs, 'objects[0].spec.hostNetwork').hint).toMatch(/remove hostNetwork/);
  });

  it('collects schema value errors and resolver errors in one report, without duplicates', () => {
    const errs = errorsOf(() =>
      resolve(
        topo({ nodes: [{ name: 'Bad_Name' }, { name: 'b', ip: '10.9.9.9' }], cluster: { proxy: 'ipvsx' as never } }),
      ),
    );
    expect(errs.filter((e) => e.field === 'nodes[0].name')).toHaveLength(1);
    expect(errs.filter((e) => e.field === 'cluster.proxy')).toHaveLength(1);
    expect(errorAt(errs, 'nodes[1].ip').message).toMatch(/outside subnet/);
  });

  it('stops at the schema when the shape is broken', () => {
    const errs = errorsOf(() => resolveTopology({ name: 't', nodes: 'node1' } as never));
    expect(errorAt(errs, 'nodes').message).toMatch(/must be a list/);
  });
});

describe('resolveTopology: cni constraints', () => {
  it('host-gw needs every node in one subnet', () => {
    const raw = topo({
      cluster: { cni: 'host-gw' },
      vpc: {
        subnets: [
          { name: 'a', cidr: '10.0.1.0/24' },
          { name: 'b', cidr: '10.0.2.0/24' },
        ],
      },
      nodes: [
        { name: 'n1', subnet: 'a' },
        { name: 'n2', subnet: 'b' },
      ],
    });
    expect(
      errorAt(
        errorsOf(() => resolve(raw)),
        'cluster.cni',
      ).hint,
    ).toMatch(/one subnet/);
    expect(
      errorAt(
        errorsOf(() => resolve({ ...raw, cluster: {} }, { overrides: { cni: 'host-gw' } })),
        '--cni',
      ).message,
    ).toMatch(/a, b/);
    expect(resolve(raw, { overrides: { cni: 'vxlan' } }).cluster.cni).toBe('vxlan');
  });
});
