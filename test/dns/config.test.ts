import { InputError } from '../../src/errors';
import {
  knotReloadArgv,
  parseUpstream,
  renderCorefile,
  renderKnotConf,
  renderResolvConf,
  renderUnboundConf,
  zoneFiles,
} from '../../src/dns/config';
import { pod, sampleModel } from './fixtures';

const zones = zoneFiles('/etc/k8s-netlab/dns/', ['cluster.local.', '244.10.in-addr.arpa.', '96.10.in-addr.arpa']);

describe('zoneFiles', () => {
  it('names files db.<origin> under the directory', () => {
    expect(zones.map((z) => z.path)).toEqual([
      '/etc/k8s-netlab/dns/db.cluster.local',
      '/etc/k8s-netlab/dns/db.244.10.in-addr.arpa',
      '/etc/k8s-netlab/dns/db.96.10.in-addr.arpa',
    ]);
    expect(zones[2].origin).toBe('96.10.in-addr.arpa.');
  });
});

describe('renderCorefile', () => {
  const text = renderCorefile({ zones, upstream: ['203.0.113.53', '203.0.113.54:5353'], domain: 'cluster.local' });
  const cache = '    cache 30 {\n        disable success cluster.local\n        disable denial cluster.local\n    }\n';
  it("serves each zone with the file plugin, reloading within 1s, with loadbalance and reload, no cache (it would rewrite the zone's TTLs)", () => {
    expect(text).toContain(
      `cluster.local:53 {\n    errors\n    log\n    file /etc/k8s-netlab/dns/db.cluster.local cluster.local {\n        reload 1s\n    }\n    loadbalance\n    reload\n}`,
    );
    expect(text).toContain('file /etc/k8s-netlab/dns/db.96.10.in-addr.arpa 96.10.in-addr.arpa {');
    expect(text.match(/reload 1s/g)).toHaveLength(3);
  });
  it('forwards the rest to the lab upstream, as kubeadm: health with lameduck, ready, cache 30 (cluster domain kept out), loop, reload', () => {
    expect(text).toContain(
      `.:53 {\n    errors\n    log\n    health :8080 {\n        lameduck 5s\n    }\n    ready :8181\n    forward . 203.0.113.53 203.0.113.54:5353 {\n        max_concurrent 1000\n    }\n${cache}    loop\n    reload\n    loadbalance\n}`,
    );
    // Only the forwarding block caches; every block re-reads a changed Corefile.
    expect(text.split(cache)).toHaveLength(2);
    expect(text.match(/^    reload$/gm)).toHaveLength(4);
    expect(text).not.toContain('resolv.conf');
  });
  it('without an upstream refuses other names and forwards nowhere', () => {
    const t = renderCorefile({ zones, upstream: [], domain: 'cluster.local' });
    expect(t).not.toContain('forward');
    expect(t).not.toContain('loop');
    expect(t).toContain('    template ANY ANY {\n        rcode REFUSED\n    }\n    reload\n    loadbalance\n}');
  });
  it('braces balance', () => {
    expect(text.split('{').length).toBe(text.split('}').length);
  });
  it('refuses upstreams that are not IP literals (never the host resolvers)', () => {
    expect(() => renderCorefile({ zones, upstream: ['/etc/resolv.conf'], domain: 'cluster.local' })).toThrow(
      InputError,
    );
    expect(() => renderCorefile({ zones, upstream: ['dns.google'], domain: 'cluster.local' })).toThrow(/not an IPv4/);
    expect(parseUpstream('10.0.0.1:5300')).toEqual({ ip: '10.0.0.1', port: 5300 });
    expect(() => parseUpstream('10.0.0.1:70000')).toThrow();
  });
});

describe('renderKnotConf', () => {
  const text = renderKnotConf({ zones });
  it('loads the zone files whole, no journal, no sync back, no DNSSEC, on 127.0.0.1@5353', () => {
    expect(text).toContain('    listen: 127.0.0.1@5353');
    for (const k of ['zonefile-load: whole', 'zonefile-sync: -1', 'journal-content: none', 'dnssec-signing: off'])
      expect(text).toContain(`    ${k}\n`);
    expect(text).toContain('  - domain: "cluster.local."\n    file: "/etc/k8s-netlab/dns/db.cluster.local"');
    expect(text).toContain('  - domain: "96.10.in-addr.arpa."');
    expect(text).toContain('control:\n    listen: "/run/knot/knot.sock"');
  });
  it('reloads with a blocking knotc zone-reload of every zone', () => {
    expect(knotReloadArgv(zones)).toEqual([
      'knotc',
      '-s',
      '/run/knot/knot.sock',
      '-b',
      'zone-reload',
      'cluster.local.',
      '244.10.in-addr.arpa.',
      '96.10.in-addr.arpa.',
    ]);
  });
});

describe('renderUnboundConf', () => {
  const text = renderUnboundConf({ zones, upstream: ['203.0.113.53'] });
  it('stubs every cluster zone to knot and forwards the rest upstream', () => {
    expect(text).toContain('stub-zone:\n    name: "cluster.local."\n    stub-addr: 127.0.0.1@5353');
    expect(text).toContain('stub-zone:\n    name: "244.10.in-addr.arpa."\n    stub-addr: 127.0.0.1@5353');
    expect(text).toContain('forward-zone:\n    name: "."\n    forward-addr: 203.0.113.53\n');
    expect(text).toContain('    interface: 0.0.0.0\n    port: 53\n');
    expect(text).toContain('cache-max-ttl: 0');
    expect(text).toContain('do-not-query-localhost: no');
    expect(text).toContain('local-zone: "96.10.in-addr.arpa." transparent');
    expect(text).not.toContain('local-zone: "cluster.local." transparent');
  });
  it('binds a given address and port, upstream with port uses @', () => {
    const t = renderUnboundConf({
      zones,
      upstream: ['127.0.0.1:15354'],
      port: 15300,
      listenAddress: '127.0.0.1',
      knot: '127.0.0.1@15353',
    });
    expect(t).toContain('    interface: 127.0.0.1\n    port: 15300\n');
    expect(t).toContain('forward-addr: 127.0.0.1@15354');
    expect(t).toContain('stub-addr: 127.0.0.1@15353');
  });
});

describe('renderResolvConf', () => {
  const m = sampleModel();
  it('ClusterFirst: DNS VIP, the namespace search path, ndots:5', () => {
    expect(renderResolvConf(m, pod('prod', 'p', 'n1', '10.244.1.2', {}))).toBe(
      'search prod.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
  });
  it('None: dnsConfig only', () => {
    const p = pod(
      'default',
      'p',
      'n1',
      '10.244.1.2',
      {},
      {
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['1.2.3.4'],
          searches: ['ns1.svc.cluster-domain.example', 'my.dns.search.suffix'],
          options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
        },
      },
    );
    expect(renderResolvConf(m, p)).toBe(
      'search ns1.svc.cluster-domain.example my.dns.search.suffix\nnameserver 1.2.3.4\noptions ndots:2 edns0\n',
    );
  });
  it('ClusterFirst + dnsConfig: appended, options merged by name, at most 3 nameservers', () => {
    const p = pod(
      'default',
      'p',
      'n1',
      '10.244.1.2',
      {},
      {
        dnsConfig: {
          nameservers: ['10.96.0.10', '1.1.1.1', '2.2.2.2', '3.3.3.3'],
          searches: ['corp.example.'],
          options: [
            { name: 'ndots', value: '1' },
            { name: 'timeout', value: '2' },
          ],
        },
      },
    );
    expect(renderResolvConf(m, p)).toBe(
      'search default.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver ' +
        '10.96.0.10\nnameserver 1.1.1.1\nnameserver 2.2.2.2\noptions ndots:1 timeout:2\n',
    );
  });
  it('an explicit dnsConfig argument replaces the pod one; Default uses the node resolver', () => {
    const p = pod(
      'default',
      'p',
      'n1',
      '10.244.1.2',
      {},
      { dnsPolicy: 'Default', dnsConfig: { nameservers: ['9.9.9.9'] } },
    );
    expect(renderResolvConf(m, p, { searches: ['x.example'] }, { hostNameservers: ['203.0.113.53'] })).toBe(
      'search x.example\nnameserver 203.0.113.53\n',
    );
  });
  it('rejects an unknown dnsPolicy', () => {
    expect(() => renderResolvConf(m, pod('default', 'p', 'n1', '10.244.1.2', {}, { dnsPolicy: 'Cluster' }))).toThrow(
      /unsupported dnsPolicy/,
    );
  });
});
