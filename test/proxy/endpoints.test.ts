import { computeEndpoints, resolveTargetPort, servicePortName } from '../../src/proxy/endpoints';
import { backend, model, node, pod, service } from './fixtures';

const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24'), node('n2', '192.168.0.3', '10.244.2.0/24')];

describe('computeEndpoints', () => {
  it('selects pods by all labels in the same namespace, sorted by IP numerically', () => {
    const svc = service('default', 'web', '10.96.0.20', [{ name: 'http', port: 80, targetPort: 8080 }], {
      selector: { app: 'web', tier: 'fe' },
    });
    const pods = [
      pod('p10', 'n1', '10.244.1.10', { app: 'web', tier: 'fe' }),
      pod('p9', 'n2', '10.244.2.9', { app: 'web', tier: 'fe' }),
      pod('p2', 'n1', '10.244.1.2', { app: 'web', tier: 'fe' }),
      pod('other-tier', 'n1', '10.244.1.3', { app: 'web', tier: 'be' }),
      pod('other-ns', 'n1', '10.244.1.4', { app: 'web', tier: 'fe' }, { namespace: 'prod' }),
    ];
    const [slice] = computeEndpoints(model(nodes, [svc], pods));
    expect(slice).toMatchObject({ namespace: 'default', service: 'web', portName: 'http', protocol: 'TCP', port: 80 });
    expect(slice.endpoints.map((e) => `${e.podName}@${e.node} ${e.ip}:${e.port}`)).toEqual([
      'p2@n1 10.244.1.2:8080',
      'p10@n1 10.244.1.10:8080',
      'p9@n2 10.244.2.9:8080',
    ]);
  });

  it('resolves named target ports per pod; pods without the name are not endpoints for that port', () => {
    const svc = service('default', 'dns', '10.96.0.10', [
      { name: 'dns', protocol: 'UDP', port: 53, targetPort: 'dns' },
      { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 'dns-tcp' },
    ]);
    const withPorts = (
      name: string,
      ip: string,
      ports: { name: string; containerPort: number; protocol: 'TCP' | 'UDP' }[],
    ) =>
      backend('default', 'dns', name, 'n1', ip, {
        containers: [{ name: 'c', image: 'x', bind: '0.0.0.0', ports }],
      });
    const pods = [
      withPorts('a', '10.244.1.5', [
        { name: 'dns', containerPort: 5353, protocol: 'UDP' },
        { name: 'dns-tcp', containerPort: 5353, protocol: 'TCP' },
      ]),
      withPorts('b', '10.244.1.6', [{ name: 'dns', containerPort: 1053, protocol: 'UDP' }]),
      // same name, wrong protocol: FindPort matches name and protocol
      withPorts('c', '10.244.1.7', [{ name: 'dns-tcp', containerPort: 53, protocol: 'UDP' }]),
    ];
    const [udp, tcp] = computeEndpoints(model(nodes, [svc], pods));
    expect(udp.endpoints.map((e) => `${e.podName}:${e.port}`)).toEqual(['a:5353', 'b:1053']);
    expect(tcp.endpoints.map((e) => `${e.podName}:${e.port}`)).toEqual(['a:5353']);
  });

  it('marks not-ready pods unless the service publishes not-ready addresses', () => {
    const pods = [
      backend('default', 'a', 'ready', 'n1', '10.244.1.2'),
      backend('default', 'a', 'sick', 'n1', '10.244.1.3'),
    ];
    const ready = (p: { name: string }) => p.name !== 'sick';
    const plain = service('default', 'a', '10.96.0.5', [{ port: 80 }]);
    const [s1] = computeEndpoints(model(nodes, [plain], pods), ready);
    expect(s1.endpoints.map((e) => [e.podName, e.ready])).toEqual([
      ['ready', true],
      ['sick', false],
    ]);
    const pub = { ...plain, publishNotReadyAddresses: true };
    const [s2] = computeEndpoints(model(nodes, [pub], pods), ready);
    expect(s2.endpoints.every((e) => e.ready)).toBe(true);
  });

  it('gives headless services endpoints, ExternalName and selector-less services none', () => {
    const pods = [backend('default', 'h', 'p', 'n1', '10.244.1.2')];
    const headless = service('default', 'h', 'None', [{ port: 80 }]);
    const ext = service('default', 'e', '', [{ port: 80 }], { type: 'ExternalName', externalName: 'example.com' });
    const manual = service('default', 'm', '10.96.0.7', [{ port: 80 }], { selector: undefined });
    const slices = computeEndpoints(model(nodes, [headless, ext, manual], pods));
    expect(slices.map((s) => `${s.service}:${s.endpoints.length}`)).toEqual(['h:1']);
  });
});

describe('helpers', () => {
  it('servicePortName omits the colon for unnamed ports', () => {
    expect(servicePortName('ns', 'svc', 'http')).toBe('ns/svc:http');
    expect(servicePortName('ns', 'svc', undefined)).toBe('ns/svc');
  });
  it('resolveTargetPort accepts numeric strings', () => {
    const p = pod('x', 'n1', '10.0.0.1', {});
    expect(resolveTargetPort(p, { protocol: 'TCP', port: 80, targetPort: '8080' })).toBe(8080);
    expect(resolveTargetPort(p, { protocol: 'TCP', port: 80, targetPort: 'nope' })).toBeUndefined();
  });
});
