import { resolveTopology } from '../../src/topology/resolve';
import { AGNHOST, errorsOf, pod, service } from './helpers';
import type { RawTopology } from '../../src/topology/raw';

const base = (over: Partial<RawTopology> = {}): RawTopology => ({
  name: 't',
  nodes: [{ name: 'node1' }, { name: 'node2' }],
  ...over,
});

describe('cluster DNS add-on in the loader', () => {
  it('adds Deployment kube-system/coredns (2 replicas, kind dns) and Service kube-dns on dnsIP, after the user pods', () => {
    const m = resolveTopology(base({ objects: [pod('a')] }));
    expect(m.pods[0].name).toBe('a');
    expect(m.pods[0].ip).toBe('10.244.0.2');
    const dns = m.pods.filter((p) => p.namespace === 'kube-system');
    expect(dns).toHaveLength(2);
    expect(dns.map((p) => p.node).sort()).toEqual(['node1', 'node2']);
    expect(
      dns.every(
        (p) => p.labels['k8s-app'] === 'kube-dns' && p.containers[0].kind === 'dns' && p.dnsPolicy === 'Default',
      ),
    ).toBe(true);
    const svc = m.services.find((s) => s.name === 'kube-dns')!;
    expect(svc.namespace).toBe('kube-system');
    expect(svc.clusterIP).toBe('10.96.0.10');
    expect(svc.ports.map((p) => `${p.name}/${p.port}/${p.protocol}`)).toEqual(['dns/53/UDP', 'dns-tcp/53/TCP']);
  });

  it('follows a configured dnsIP and domain; cluster.dns false leaves it out', () => {
    const m = resolveTopology(base({ cluster: { dnsIP: '10.96.0.53', domain: 'lab.example' } }));
    expect(m.services.find((s) => s.name === 'kube-dns')!.clusterIP).toBe('10.96.0.53');
    const off = resolveTopology(base({ cluster: { dns: false } }));
    expect(off.cluster.dns).toBe(false);
    expect(off.pods).toEqual([]);
    expect(off.services).toEqual([]);
  });

  it('keeps dnsPolicy and dnsConfig of pods, and rejects dnsPolicy None without nameservers', () => {
    const m = resolveTopology(
      base({
        objects: [
          pod('a', {
            dnsPolicy: 'None',
            dnsConfig: { nameservers: ['1.2.3.4'], searches: ['x.example'], options: [{ name: 'ndots', value: '2' }] },
          }),
        ],
      }),
    );
    expect(m.pods[0].dnsPolicy).toBe('None');
    expect(m.pods[0].dnsConfig).toEqual({
      nameservers: ['1.2.3.4'],
      searches: ['x.example'],
      options: [{ name: 'ndots', value: '2' }],
    });
    const errs = errorsOf(() => resolveTopology(base({ objects: [pod('a', { dnsPolicy: 'None' })] })));
    expect(errs.map((e) => e.message).join('\n')).toMatch(/must provide at least one DNS nameserver/);
  });

  it('bad input: a Service name that is not a DNS label, a domain that is not a domain, a dnsIP outside the service CIDR', () => {
    const errs = errorsOf(() =>
      resolveTopology(
        base({
          cluster: { domain: 'bad_domain..x', dnsIP: '10.97.0.10' },
          objects: [service('Web_1', { ports: [{ port: 80 }] })],
        }),
      ),
    );
    const text = errs.map((e) => e.message).join('\n');
    expect(text).toMatch(/cluster\.domain: .*must be a DNS domain/);
    expect(text).toMatch(/cluster\.dnsIP: 10\.97\.0\.10 is outside cluster\.serviceCIDR/);
    expect(text).toMatch(/objects\[0\]\.metadata\.name: /);
  });

  it('runs any other image as a container pod (one container), with command, args and env', () => {
    const m = resolveTopology(
      base({
        cluster: { dns: false },
        objects: [
          pod('box', {
            containers: [
              {
                name: 'box',
                image: 'busybox:1.36',
                command: ['sleep'],
                args: ['infinity'],
                env: [{ name: 'A', value: '1' }],
              },
            ],
          }),
        ],
      }),
    );
    expect(m.pods[0].containers[0]).toMatchObject({
      kind: 'container',
      image: 'busybox:1.36',
      command: ['sleep'],
      args: ['infinity'],
      env: ['A=1'],
    });
    const errs = errorsOf(() =>
      resolveTopology(
        base({
          objects: [
            pod('two', {
              containers: [
                { name: 'a', image: 'busybox' },
                { name: 'b', image: AGNHOST, args: ['netexec'] },
              ],
            }),
          ],
        }),
      ),
    );
    expect(errs[0].message).toMatch(/exactly one container/);
  });
});
