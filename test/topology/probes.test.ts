import { Issues } from '../../src/topology/issues';
import { PROBE_DEFAULTS, resolveProbes } from '../../src/topology/probes';

const ports = [{ name: 'http', containerPort: 8080, protocol: 'TCP' as const }];
const parse = (c: Record<string, unknown>, exec = true) => {
  const issues = new Issues();
  const probes = resolveProbes(c, 'objects[0].spec.containers[0]', ports, issues, { exec });
  return { probes, errors: issues.list.map((e) => e.message) };
};

describe('container probes (core/v1 Probe, defaults as SetDefaults_Probe)', () => {
  it('applies Kubernetes defaults: period 10, timeout 1, success 1, failure 3, delay 0', () => {
    expect(PROBE_DEFAULTS).toEqual({
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
    const { probes, errors } = parse({ readinessProbe: { httpGet: { path: '/readyz', port: 'http' } } });
    expect(errors).toEqual([]);
    expect(probes!.readiness).toEqual({
      handler: { httpGet: { path: '/readyz', port: 8080, scheme: 'HTTP', headers: [] } },
      ...PROBE_DEFAULTS,
    });
  });

  it('reads tcpSocket, exec and explicit timings', () => {
    const { probes, errors } = parse({
      livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2, failureThreshold: 2 },
      startupProbe: { exec: { command: ['cat', '/tmp/ok'] }, initialDelaySeconds: 5 },
    });
    expect(errors).toEqual([]);
    expect(probes!.liveness).toMatchObject({
      handler: { tcpSocket: { port: 8080 } },
      periodSeconds: 2,
      failureThreshold: 2,
      timeoutSeconds: 1,
    });
    expect(probes!.startup).toMatchObject({
      handler: { exec: { command: ['cat', '/tmp/ok'] } },
      initialDelaySeconds: 5,
    });
  });

  it('refuses grpc clearly, and what the API server refuses, with the field and a fix', () => {
    const { errors } = parse({
      readinessProbe: { grpc: { port: 9090 } },
      livenessProbe: { httpGet: { port: 8080 }, successThreshold: 2 },
      startupProbe: { httpGet: { port: 'nope' }, tcpSocket: { port: 1 } },
    });
    expect(errors).toEqual([
      expect.stringMatching(
        /^objects\[0\]\.spec\.containers\[0\]\.startupProbe: may not specify more than 1 handler type/,
      ),
      'objects[0].spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
      expect.stringMatching(
        /^objects\[0\]\.spec\.containers\[0\]\.readinessProbe\.grpc: grpc probes are not supported by the lab/,
      ),
    ]);
    expect(parse({ readinessProbe: { httpGet: { port: 'nope' } } }).errors).toEqual([
      'objects[0].spec.containers[0].readinessProbe.httpGet.port: port "nope" is not a named port of this container',
    ]);
    expect(parse({ readinessProbe: { periodSeconds: 0, httpGet: { port: 1 } } }).errors[0]).toMatch(
      /periodSeconds: Invalid value: 0: must be an integer >= 1/,
    );
    expect(parse({ readinessProbe: { exec: { command: ['true'] } } }, false).errors[0]).toMatch(
      /exec probes are not supported for a container pod/,
    );
  });

  it('no probe fields: nothing', () => {
    expect(parse({}).probes).toBeUndefined();
  });
});
