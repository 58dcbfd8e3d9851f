import { parseIngresses, ingressRoutes, normalizePrefix, hostProblem, pathProblem } from '../../src/ingress/parse';
import { InputErrors } from '../../src/errors';
import { ingress, path, sources, svc, backend } from './fixtures';

const services = [svc('web', 30080), svc('api', 30081), svc('internal', undefined), svc('fallback', 30082)];

describe('parseIngresses', () => {
  it('resolves hosts, paths and the default backend to NodePorts', () => {
    const { routes, errors } = parseIngresses(
      sources(
        ingress('site', {
          ingressClassName: 'alb',
          defaultBackend: backend('fallback'),
          rules: [
            {
              host: 'web.example.com',
              http: { paths: [path('/', 'Prefix', 'web'), path('/login', 'Exact', 'api', 'http')] },
            },
            { host: '*.apps.example.com', http: { paths: [path('/api/', 'ImplementationSpecific', 'api')] } },
            { http: { paths: [path('/any', 'Prefix', 'web')] } },
          ],
        }),
      ),
      services,
    );
    expect(errors).toEqual([]);
    expect(routes.hosts.map((h) => h.host)).toEqual(['web.example.com', '*.apps.example.com', '']);
    const web = routes.hosts[0].paths;
    expect(web.map((p) => [p.path, p.pathType, p.backend.service, p.backend.nodePort])).toEqual([
      ['/', 'Prefix', 'web', 30080],
      ['/login', 'Exact', 'api', 30081],
    ]);
    // ImplementationSpecific keeps its path as written (ingress-nginx's plain prefix location).
    expect(routes.hosts[1].paths[0]).toMatchObject({
      path: '/api/',
      pathType: 'ImplementationSpecific',
      field: 'objects[0].spec.rules[1].http.paths[0]',
    });
    expect(routes.defaultBackend?.backend).toMatchObject({ service: 'fallback', port: 80, nodePort: 30082 });
  });

  it('reports a missing service, a missing port and a ClusterIP backend, all at once, with fields and fixes', () => {
    const { errors } = parseIngresses(
      sources(
        svcPlaceholder(),
        ingress('bad', {
          rules: [
            {
              host: 'a.example.com',
              http: {
                paths: [
                  path('/x', 'Prefix', 'nope'),
                  path('/y', 'Prefix', 'web', 8080),
                  path('/z', 'Prefix', 'internal'),
                  path('/w', 'Prefix', 'web', 'metrics'),
                ],
              },
            },
          ],
        }),
      ),
      services,
    );
    const byField = Object.fromEntries(errors.map((e) => [e.field, e]));
    expect(Object.keys(byField).sort()).toEqual([
      'objects[1].spec.rules[0].http.paths[0].backend.service.name',
      'objects[1].spec.rules[0].http.paths[1].backend.service.port.number',
      'objects[1].spec.rules[0].http.paths[2].backend.service.name',
      'objects[1].spec.rules[0].http.paths[3].backend.service.port.name',
    ]);
    expect(byField['objects[1].spec.rules[0].http.paths[0].backend.service.name'].message).toMatch(
      /service "nope" not found in namespace default/,
    );
    expect(byField['objects[1].spec.rules[0].http.paths[1].backend.service.port.number'].message).toMatch(
      /has no TCP port 8080/,
    );
    expect(byField['objects[1].spec.rules[0].http.paths[1].backend.service.port.number'].hint).toMatch(
      /80 \(name http\)/,
    );
    expect(byField['objects[1].spec.rules[0].http.paths[2].backend.service.name'].message).toMatch(/type ClusterIP/);
    expect(byField['objects[1].spec.rules[0].http.paths[2].backend.service.name'].hint).toMatch(
      /^set type: NodePort on Service internal, or annotate the Ingress k8s-netlab.dev\/backend-mode: endpoints/,
    );
    expect(byField['objects[1].spec.rules[0].http.paths[3].backend.service.port.name'].message).toMatch(
      /port named "metrics"/,
    );
  });

  it('reports two Ingresses claiming the same host+path+pathType for different backends', () => {
    const { errors } = parseIngresses(
      sources(
        ingress('one', { rules: [{ host: 'web.example.com', http: { paths: [path('/api', 'Prefix', 'web')] } }] }),
        ingress('two', {
          rules: [
            {
              host: 'web.example.com',
              http: { paths: [path('/api/', 'Prefix', 'api'), path('/api', 'Exact', 'api')] },
            },
          ],
        }),
      ),
      services,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0].field).toBe('objects[1].spec.rules[0].http.paths[0]');
    expect(errors[0].message).toMatch(
      /collides with objects\[0\]\.spec\.rules\[0\]\.http\.paths\[0\] \(Ingress default\/one\)/,
    );
    expect(errors[0].message).toMatch(/default\/web:http there and to default\/api:http here/);
  });

  it('accepts the same rule twice when it points at the same backend', () => {
    const rule = { host: 'web.example.com', http: { paths: [path('/api', 'Prefix', 'web')] } };
    const { routes, errors } = parseIngresses(
      sources(ingress('one', { rules: [rule] }), ingress('two', { rules: [rule] })),
      services,
    );
    expect(errors).toEqual([]);
    expect(routes.hosts[0].paths).toHaveLength(1);
  });

  it('reports two different default backends', () => {
    const { errors } = parseIngresses(
      sources(ingress('one', { defaultBackend: backend('web') }), ingress('two', { defaultBackend: backend('api') })),
      services,
    );
    expect(errors.map((e) => e.field)).toEqual(['objects[1].spec.defaultBackend']);
  });

  it('checks hosts, paths, pathType and the port shape', () => {
    const { errors } = parseIngresses(
      sources(
        ingress('shape', {
          rules: [
            { host: '10.0.0.1', http: { paths: [path('/', 'Prefix', 'web')] } },
            { host: 'Web.example.com', http: { paths: [path('/', 'Prefix', 'web')] } },
            {
              host: 'ok.example.com',
              http: {
                paths: [
                  path('api', 'Prefix', 'web'),
                  { path: '/b', backend: backend('web') },
                  path('/c', 'Regex', 'web'),
                  path('/a//b', 'Exact', 'web'),
                ],
              },
            },
            {
              host: 'ok2.example.com',
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'web', port: { number: 80, name: 'http' } } },
                  },
                ],
              },
            },
            { host: 'ok3.example.com' },
          ],
        }),
        ingress('empty', {}),
      ),
      services,
    );
    expect(errors.map((e) => e.field)).toEqual([
      'objects[0].spec.rules[0].host',
      'objects[0].spec.rules[1].host',
      'objects[0].spec.rules[2].http.paths[0].path',
      'objects[0].spec.rules[2].http.paths[1].pathType',
      'objects[0].spec.rules[2].http.paths[2].pathType',
      'objects[0].spec.rules[2].http.paths[3].path',
      'objects[0].spec.rules[3].http.paths[0].backend.service.port',
      'objects[0].spec.rules[4].http.paths',
      'objects[1].spec',
    ]);
  });

  it('uses the Ingress namespace for its backends', () => {
    const other = { ...svc('web', 30090), namespace: 'team' };
    const { routes, errors } = parseIngresses(sources(ingress('t', { defaultBackend: backend('web') }, 'team')), [
      ...services,
      other,
    ]);
    expect(errors).toEqual([]);
    expect(routes.defaultBackend?.backend).toMatchObject({ namespace: 'team', nodePort: 30090 });
  });

  it('ingressRoutes throws InputErrors (exit 2) for a model with a bad Ingress', () => {
    const model = { services, ingresses: [ingress('x', { defaultBackend: backend('missing') })] };
    expect(() => ingressRoutes(model)).toThrow(InputErrors);
    try {
      ingressRoutes(model);
    } catch (e) {
      expect((e as InputErrors).exitCode).toBe(2);
      expect((e as InputErrors).message).toMatch(
        /ingresses\[0\]\.spec\.defaultBackend\.service\.name: service "missing" not found/,
      );
    }
  });
});

describe('helpers', () => {
  it('normalizePrefix drops the trailing slash but keeps /', () => {
    expect(normalizePrefix('/foo/')).toBe('/foo');
    expect(normalizePrefix('/foo')).toBe('/foo');
    expect(normalizePrefix('/')).toBe('/');
  });
  it('hostProblem accepts names and one leading wildcard', () => {
    expect(hostProblem('foo.com')).toBeUndefined();
    expect(hostProblem('*.foo.com')).toBeUndefined();
    expect(hostProblem('*')).toBeDefined();
    expect(hostProblem('a.*.foo.com')).toBeDefined();
    expect(hostProblem('foo.com:80')).toBeDefined();
  });
  it('pathProblem rejects what the API server rejects', () => {
    expect(pathProblem('/a/b')).toBeUndefined();
    for (const p of ['a', '/a//b', '/a/./b', '/a/../b', '/a/..', '/a/.', '/a%2fb', '/a b', '/a;b', '/a{b'])
      expect(pathProblem(p)).toBeDefined();
  });
});

/** A non-Ingress object in the list shifts indexes, as in a real topology. */
function svcPlaceholder(): unknown {
  return 'not an ingress';
}
