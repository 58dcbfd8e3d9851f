import { cidrContainsIp } from '../../src/net/ipv4';
import { errorAt, errorsOf, resolve, service, topo } from './helpers';

const http = { name: 'http', port: 80, targetPort: 8080 };
const svcs = (...objects: unknown[]) => resolve(topo({ objects: objects as never })).services;

describe('Service allocation', () => {
  it('allocates distinct ClusterIPs in the serviceCIDR, skipping the network, kubernetes and DNS addresses, deterministically', () => {
    const many = Array.from({ length: 40 }, (_, i) => service(`s${i}`, { ports: [http] }));
    const a = svcs(...many);
    const b = svcs(...many);
    expect(a.map((s) => s.clusterIP)).toEqual(b.map((s) => s.clusterIP));
    const ips = a.map((s) => s.clusterIP);
    expect(new Set(ips).size).toBe(40);
    for (const ip of ips) {
      expect(cidrContainsIp('10.96.0.0/16', ip)).toBe(true);
      expect(['10.96.0.0', '10.96.0.1', '10.96.0.10', '10.96.255.255']).not.toContain(ip);
    }
    // Adding a service does not move the others' VIPs.
    const more = svcs(...many, service('extra', { ports: [http] }));
    expect(more.slice(0, 40).map((s) => s.clusterIP)).toEqual(ips);
  });

  it('stays inside a small serviceCIDR and reports when it is full', () => {
    const small = (n: number) =>
      resolve(
        topo({
          cluster: { serviceCIDR: '10.96.0.0/28', dnsIP: '10.96.0.10' },
          objects: Array.from({ length: n }, (_, i) => service(`s${i}`, { ports: [http] })),
        }),
      );
    // /28: 14 host addresses, minus kubernetes (.1) and DNS (.10) = 12.
    const ips = small(12).services.map((s) => s.clusterIP);
    expect(new Set(ips).size).toBe(12);
    ips.forEach((ip) => expect(cidrContainsIp('10.96.0.0/28', ip)).toBe(true));
    const errs = errorsOf(() => small(13));
    expect(errorAt(errs, 'objects[12].spec.clusterIP').message).toMatch(/range is full/);
  });

  it('honours fixed clusterIPs, ahead of allocation, and headless None', () => {
    const s = svcs(
      service('fixed', { clusterIP: '10.96.100.100', ports: [http] }),
      service('h', { clusterIP: 'None', selector: { app: 'x' } }),
      service('b', { clusterIPs: ['10.96.0.50'], ports: [http] }),
    );
    expect(s.map((x) => x.clusterIP)).toEqual(['10.96.100.100', 'None', '10.96.0.50']);
  });

  it('rejects clusterIPs out of range or already allocated, with the Kubernetes messages', () => {
    const errs = errorsOf(() =>
      svcs(
        service('a', { clusterIP: '10.97.0.1', ports: [http] }),
        service('b', { clusterIP: '10.96.0.10', ports: [http] }),
        service('c', { clusterIP: '10.96.5.5', ports: [http] }),
        service('d', { clusterIP: '10.96.5.5', ports: [http] }),
        service('e', { clusterIP: '10.96.0.0', ports: [http] }),
        service('f', { clusterIP: 'abc', ports: [http] }),
      ),
    );
    expect(errorAt(errs, 'objects[0].spec.clusterIP').message).toBe(
      'objects[0].spec.clusterIP: Invalid value: "10.97.0.1": provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/16',
    );
    expect(errorAt(errs, 'objects[0].spec.clusterIP').hint).toMatch(/inside cluster.serviceCIDR/);
    expect(errorAt(errs, 'objects[1].spec.clusterIP').message).toBe(
      'objects[1].spec.clusterIP: Invalid value: "10.96.0.10": provided IP is already allocated',
    );
    expect(errorAt(errs, 'objects[3].spec.clusterIP').message).toMatch(
      /"10\.96\.5\.5": provided IP is already allocated/,
    );
    expect(errs.filter((e) => e.field === 'objects[2].spec.clusterIP')).toHaveLength(0);
    expect(errorAt(errs, 'objects[4].spec.clusterIP').message).toMatch(/not in the valid range/);
    expect(errorAt(errs, 'objects[5].spec.clusterIP').message).toMatch(/must be a valid IP address/);
  });

  it('validates ports: names required with several, unique, protocols, targetPort default and names', () => {
    const ok = svcs(
      service('web', {
        ports: [
          { name: 'http', port: 80, targetPort: 'http' },
          { name: 'udp', port: 81, protocol: 'UDP' },
          { name: 'tcp81', port: 81 },
        ],
      }),
    );
    expect(ok[0].ports).toEqual([
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' },
      { name: 'udp', protocol: 'UDP', port: 81, targetPort: 81 },
      { name: 'tcp81', protocol: 'TCP', port: 81, targetPort: 81 },
    ]);
    const errs = errorsOf(() =>
      svcs(
        service('a', { ports: [{ port: 80 }, { port: 81 }] }),
        service('b', {
          ports: [
            { name: 'http', port: 80 },
            { name: 'http', port: 81 },
          ],
        }),
        service('c', { ports: [{ name: 'x', port: 80, protocol: 'SCTP' }] }),
        service('d', {
          ports: [
            { name: 'x', port: 80 },
            { name: 'y', port: 80 },
          ],
        }),
        service('e', {}),
        service('f', { ports: [{ port: 80, targetPort: 'Not_A_Name' }] }),
      ),
    );
    expect(errorAt(errs, 'objects[0].spec.ports[0].name').message).toMatch(/Required value/);
    expect(errorAt(errs, 'objects[1].spec.ports[1].name').message).toBe(
      'objects[1].spec.ports[1].name: Duplicate value: "http"',
    );
    expect(errorAt(errs, 'objects[2].spec.ports[0].protocol').hint).toMatch(/TCP or UDP/);
    expect(errorAt(errs, 'objects[3].spec.ports[1]').message).toMatch(/Duplicate value: "80\/TCP"/);
    expect(errorAt(errs, 'objects[4].spec.ports').message).toMatch(/Required value/);
    expect(errorAt(errs, 'objects[5].spec.ports[0].targetPort').message).toMatch(/Invalid value: "Not_A_Name"/);
  });

  it('service names must be DNS-1035 labels and unique per namespace', () => {
    const errs = errorsOf(() =>
      svcs(
        service('1web', { ports: [http] }),
        service('web', { ports: [http] }),
        service('web', { ports: [http] }),
        service('kubernetes', { ports: [http] }),
      ),
    );
    expect(errorAt(errs, 'objects[0].metadata.name').message).toMatch(/DNS-1035 label/);
    expect(errorAt(errs, 'objects[2].metadata.name').message).toMatch(
      /services "web" already exists in namespace default/,
    );
    expect(errorAt(errs, 'objects[3].metadata.name').message).toMatch(/API server/);
  });

  it('allocates NodePorts in range, honours fixed ones, TCP and UDP may share one in a Service', () => {
    const s = svcs(
      service('np', {
        type: 'NodePort',
        ports: [
          { name: 'http', port: 80, nodePort: 30080 },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
      }),
      service('np2', {
        type: 'NodePort',
        ports: [
          { name: 'tcp', port: 53, nodePort: 30053 },
          { name: 'udp', port: 53, protocol: 'UDP', nodePort: 30053 },
        ],
      }),
    );
    expect(s[0].ports[0].nodePort).toBe(30080);
    const dyn = s[0].ports[1].nodePort!;
    expect(dyn).toBeGreaterThanOrEqual(30000);
    expect(dyn).toBeLessThanOrEqual(32767);
    expect([30080, 30053]).not.toContain(dyn);
    expect(s[1].ports.map((p) => p.nodePort)).toEqual([30053, 30053]);
    expect(s[0].externalTrafficPolicy).toBe('Cluster');
  });

  it('rejects NodePorts out of range or already allocated, with the Kubernetes messages', () => {
    const errs = errorsOf(() =>
      svcs(
        service('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 40000 }] }),
        service('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }),
        service('c', { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30080 }] }),
        service('d', { ports: [{ port: 80, nodePort: 30081 }] }),
      ),
    );
    expect(errorAt(errs, 'objects[0].spec.ports[0].nodePort').message).toBe(
      'objects[0].spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    expect(errorAt(errs, 'objects[2].spec.ports[0].nodePort').message).toBe(
      'objects[2].spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
    );
    expect(errorAt(errs, 'objects[3].spec.ports[0].nodePort').message).toMatch(
      /Forbidden: may not be used when `type` is 'ClusterIP'/,
    );
  });

  it('uses cluster.nodePortRange', () => {
    const m = resolve(
      topo({
        cluster: { nodePortRange: '31000-31009' },
        objects: Array.from({ length: 10 }, (_, i) => service(`s${i}`, { type: 'NodePort', ports: [http] })) as never,
      }),
    );
    const ports = m.services.map((s) => s.ports[0].nodePort!);
    expect(new Set(ports).size).toBe(10);
    ports.forEach((p) => expect(p >= 31000 && p <= 31009).toBe(true));
    const errs = errorsOf(() =>
      resolve(
        topo({
          cluster: { nodePortRange: '31000-31009' },
          objects: Array.from({ length: 11 }, (_, i) => service(`s${i}`, { type: 'NodePort', ports: [http] })) as never,
        }),
      ),
    );
    expect(errorAt(errs, 'objects[10].spec.ports[0].nodePort').message).toMatch(/range is full \(31000-31009\)/);
  });

  it('LoadBalancer with externalTrafficPolicy Local gets a healthCheckNodePort; source ranges are validated', () => {
    const [lb, lb2] = svcs(
      service('lb', {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        ports: [http],
        loadBalancerSourceRanges: ['192.168.0.7/24', '10.0.0.0/8'],
      }),
      service('lb2', {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32000,
        allocateLoadBalancerNodePorts: false,
        ports: [http],
      }),
    );
    expect(lb.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    expect(lb.healthCheckNodePort).not.toBe(lb.ports[0].nodePort);
    expect(lb.loadBalancerSourceRanges).toEqual(['192.168.0.0/24', '10.0.0.0/8']);
    expect(lb2.healthCheckNodePort).toBe(32000);
    expect(lb2.ports[0].nodePort).toBeUndefined();
    const errs = errorsOf(() =>
      svcs(
        service('a', { type: 'LoadBalancer', ports: [http], loadBalancerSourceRanges: ['10.0.0.0/33'] }),
        service('b', { type: 'NodePort', healthCheckNodePort: 31000, ports: [http] }),
        service('c', { ports: [http], externalTrafficPolicy: 'Local' }),
        service('d', { ports: [http], loadBalancerSourceRanges: ['10.0.0.0/8'] }),
        service('e', { type: 'NodePort', clusterIP: 'None', ports: [http] }),
      ),
    );
    expect(errorAt(errs, 'objects[0].spec.loadBalancerSourceRanges[0]').message).toMatch(/must be a list of IP ranges/);
    expect(errorAt(errs, 'objects[1].spec.healthCheckNodePort').message).toMatch(
      /may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'/,
    );
    expect(errorAt(errs, 'objects[2].spec.externalTrafficPolicy').message).toMatch(/externally-accessible/);
    expect(errorAt(errs, 'objects[3].spec.loadBalancerSourceRanges').message).toMatch(
      /only be used when `type` is 'LoadBalancer'/,
    );
    expect(errorAt(errs, 'objects[4].spec.clusterIP').message).toMatch(
      /may not be set to 'None' for NodePort services/,
    );
  });

  it('session affinity: default timeout 10800, custom timeout, forbidden config with None', () => {
    const [a, b, c] = svcs(
      service('a', { ports: [http], sessionAffinity: 'ClientIP' }),
      service('b', {
        ports: [http],
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      }),
      service('c', { ports: [http], internalTrafficPolicy: 'Local', publishNotReadyAddresses: true }),
    );
    expect([a.sessionAffinity, a.affinityTimeoutSeconds]).toEqual(['ClientIP', 10800]);
    expect(b.affinityTimeoutSeconds).toBe(60);
    expect(c).toMatchObject({
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Local',
      publishNotReadyAddresses: true,
    });
    const errs = errorsOf(() =>
      svcs(service('a', { ports: [http], sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })),
    );
    expect(errorAt(errs, 'objects[0].spec.sessionAffinityConfig').message).toMatch(
      /must not be set when session affinity is None/,
    );
  });

  it('ExternalName: externalName required and a DNS name; no clusterIP', () => {
    const [x] = svcs(service('ext', { type: 'ExternalName', externalName: 'www.example.com.' }));
    expect(x).toMatchObject({ type: 'ExternalName', externalName: 'www.example.com', clusterIP: 'None', ports: [] });
    expect(x.selector).toBeUndefined();
    const errs = errorsOf(() =>
      svcs(
        service('a', { type: 'ExternalName' }),
        service('b', { type: 'ExternalName', externalName: 'not a name' }),
        service('c', { type: 'ExternalName', externalName: 'ok.com', clusterIP: '10.96.0.5' }),
      ),
    );
    expect(errorAt(errs, 'objects[0].spec.externalName').message).toMatch(/Required value/);
    expect(errorAt(errs, 'objects[1].spec.externalName').message).toMatch(/Invalid value: "not a name"/);
    expect(errorAt(errs, 'objects[2].spec.clusterIP').message).toMatch(/may not be set for ExternalName/);
  });
});
