import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputErrors } from '../../src/errors';
import { loadTopology } from '../../src/topology/load';
import { errorAt, errorsOf, resolve, service, topo, deployment } from './helpers';

const lb = (name: string, spec: Record<string, unknown> = {}) =>
  service(name, {
    type: 'LoadBalancer',
    selector: { app: 'web' },
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    ...spec,
  });

describe('edge: section', () => {
  it('without edge: no edge containers, LoadBalancer IPs stay pending', () => {
    const m = resolve(topo({ objects: [deployment('web', 2), lb('web')] }));
    expect(m.edge).toBeUndefined();
    expect(m.internetDns).toBeUndefined();
    expect(m.services.find((s) => s.name === 'web')!.loadBalancerIP).toBeUndefined();
    expect(m.links).toHaveLength(3);
  });

  it('edge: {} takes the defaults: transit /30s, node public IPs from .10, LB IPs from the pool in file order', () => {
    const m = resolve(
      topo({ edge: {}, objects: [deployment('web', 2), lb('web'), lb('web2', { externalTrafficPolicy: 'Local' })] }),
    );
    const e = m.edge!;
    expect([e.igw.vpcIP, e.igw.ip, e.lb.vpcIP, e.lb.ip, e.ingress.vpcIP, e.ingress.ip]).toEqual([
      '100.64.0.1',
      '100.64.0.2',
      '100.64.0.5',
      '100.64.0.6',
      '100.64.0.9',
      '100.64.0.10',
    ]);
    expect(e.igw.internetIP).toBe('198.51.100.1');
    expect(e.internet.ip).toBe('198.51.100.10');
    expect(e.internet.otherClientIP).toBe('192.0.2.10');
    expect(e.natIP).toBe('203.0.113.1');
    expect(m.internetDns).toBe('198.51.100.10');
    expect(m.nodes.map((n) => n.publicIP)).toEqual(['203.0.113.10', '203.0.113.11', '203.0.113.12']);
    expect(m.services.filter((s) => s.type === 'LoadBalancer').map((s) => s.loadBalancerIP)).toEqual([
      '203.0.113.129',
      '203.0.113.130',
    ]);
    expect(m.services.find((s) => s.name === 'web2')!.healthCheckNodePort).toBeGreaterThan(0);
    expect(m.links.map((l) => `${l.a.iface}-${l.b.iface}`)).toEqual([
      'eth0-v-node1',
      'eth0-v-node2',
      'eth0-v-node3',
      'igw0-vpc0',
      'lb0-eth0',
      'inet0-eth0',
    ]);
    expect(m.edge!.igw.container).toBe('k8s-netlab-t-igw');
  });

  it('honours spec.loadBalancerIP inside the pool and allocates around it; keeps given node public IPs', () => {
    const m = resolve(
      topo({
        edge: {},
        nodes: [{ name: 'node1', publicIP: '203.0.113.10' }, { name: 'node2' }],
        objects: [deployment('web', 1), lb('a'), lb('b', { loadBalancerIP: '203.0.113.129' })],
      }),
    );
    expect(m.services.find((s) => s.name === 'b')!.loadBalancerIP).toBe('203.0.113.129');
    expect(m.services.find((s) => s.name === 'a')!.loadBalancerIP).toBe('203.0.113.130');
    expect(m.nodes.map((n) => n.publicIP)).toEqual(['203.0.113.10', '203.0.113.11']);
  });

  it('nodePublicIPs: false leaves nodes without a public IP', () => {
    const m = resolve(topo({ edge: { nodePublicIPs: false } }));
    expect(m.nodes.every((n) => n.publicIP === undefined)).toBe(true);
  });

  it('rejects a loadBalancerIP outside the pool, a duplicate, one on a non-LB Service, and one without an edge', () => {
    const errs = errorsOf(() =>
      resolve(
        topo({
          edge: {},
          objects: [
            deployment('web', 1),
            lb('a', { loadBalancerIP: '203.0.113.5' }),
            lb('b', { loadBalancerIP: '203.0.113.140' }),
            lb('c', { loadBalancerIP: '203.0.113.140' }),
            service('d', {
              type: 'NodePort',
              selector: { app: 'web' },
              ports: [{ port: 80 }],
              loadBalancerIP: '203.0.113.141',
            }),
          ],
        }),
      ),
    );
    expect(errorAt(errs, 'objects[1].spec.loadBalancerIP').message).toMatch(
      /not in edge.loadBalancerPool 203.0.113.128\/26/,
    );
    expect(errorAt(errs, 'objects[3].spec.loadBalancerIP').message).toMatch(
      /already the load balancer IP of default\/b/,
    );
    expect(errorAt(errs, 'objects[4].spec.loadBalancerIP').message).toMatch(
      /only be set when `type` is 'LoadBalancer'/,
    );
    const none = errorsOf(() =>
      resolve(topo({ objects: [deployment('web', 1), lb('a', { loadBalancerIP: '203.0.113.129' })] })),
    );
    expect(errorAt(none, 'objects[1].spec.loadBalancerIP').hint).toMatch(/edge: \{\}/);
  });

  it('rejects edge ranges that overlap each other or the VPC, a pool outside publicCIDR, a reserved node public IP', () => {
    const errs = errorsOf(() =>
      resolve(
        topo({
          edge: {
            internetCIDR: '10.0.1.0/24',
            internetHost: '10.0.1.50',
            loadBalancerPool: '198.18.0.0/28',
            transitCIDR: '100.64.0.0/30',
          },
          nodes: [{ name: 'node1', publicIP: '203.0.113.1' }],
        }),
      ),
    );
    expect(errorAt(errs, 'edge.internetCIDR').message).toMatch(/overlaps subnet subnet-a/);
    expect(errorAt(errs, 'edge.loadBalancerPool').message).toMatch(/not inside edge.publicCIDR/);
    expect(errorAt(errs, 'edge.transitCIDR').message).toMatch(/too small/);
    expect(errorAt(errs, 'nodes[0].publicIP').message).toMatch(/reserved at the edge/);
  });

  it('bad input from a file: a source range that is not a CIDR, an edge CIDR typo: exit code 2, fields named', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-'));
    const file = path.join(dir, 't.yaml');
    fs.writeFileSync(
      file,
      [
        'name: t',
        'cluster: {dns: false}',
        'edge: {publicCIDR: 203.0.113.0/33}',
        'nodes: [{name: node1}]',
        'objects:',
        '  - apiVersion: v1',
        '    kind: Service',
        '    metadata: {name: web}',
        '    spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}], loadBalancerSourceRanges: [198.51.100.10]}',
      ].join('\n'),
    );
    let err: unknown;
    try {
      loadTopology(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputErrors);
    const e = err as InputErrors;
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/loadBalancerSourceRanges\[0\]/);
    expect(e.message).toMatch(/edge\.publicCIDR/);
  });
});
