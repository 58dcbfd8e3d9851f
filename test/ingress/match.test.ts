import {
  matchIngress,
  normalizeHost,
  normalizeRequestPath,
  wildcardMatches,
  pathMatches,
} from '../../src/ingress/match';
import type { IngressRoutes } from '../../src/ingress/types';
import { HOST_CASES, PATH_CASES, hostService } from './cases';
import { routesFor } from './routes';

const answer = (routes: IngressRoutes, host: string, path: string): string => {
  const m = matchIngress(routes, host, path);
  return m.kind === 'notfound' ? '404' : m.kind === 'default' ? 'default' : m.backend.service;
};

describe('matchIngress: Kubernetes path semantics', () => {
  it.each(PATH_CASES.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    expect(answer(routesFor([{ host: 'h.example.com', rules: c.rules }]), 'h.example.com', c.request)).toBe(c.want);
  });
});

describe('matchIngress: hosts', () => {
  it.each(HOST_CASES.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const routes = routesFor(
      c.hosts.map((h) => ({ host: h, rules: [{ path: '/', pathType: 'Prefix', to: hostService(h) }] })),
    );
    expect(answer(routes, c.request, '/')).toBe(c.want);
  });

  it('a matched host whose paths do not match goes to the default backend, not to host-less rules', () => {
    const routes = routesFor([
      { host: '', rules: [{ path: '/', pathType: 'Prefix', to: 'nohost' }] },
      { host: 'web.example.com', rules: [{ path: '/app', pathType: 'Prefix', to: 'app' }] },
    ]);
    expect(answer(routes, 'web.example.com', '/other')).toBe('default');
    expect(answer(routes, 'web.example.com', '/app/x')).toBe('app');
  });

  it('nothing matched and no default backend: 404', () => {
    const routes = routesFor(
      [{ host: 'web.example.com', rules: [{ path: '/app', pathType: 'Exact', to: 'app' }] }],
      false,
    );
    expect(answer(routes, 'web.example.com', '/app')).toBe('app');
    expect(answer(routes, 'web.example.com', '/nope')).toBe('404');
  });
});

describe('helpers', () => {
  it('wildcardMatches takes exactly one label', () => {
    expect(wildcardMatches('*.foo.com', 'bar.foo.com')).toBe(true);
    expect(wildcardMatches('*.foo.com', 'baz.bar.foo.com')).toBe(false);
    expect(wildcardMatches('*.foo.com', 'foo.com')).toBe(false);
    expect(wildcardMatches('*.foo.com', '.foo.com')).toBe(false);
    expect(wildcardMatches('*.foo.com', 'xfoo.com')).toBe(false);
  });
  it('pathMatches works on elements', () => {
    expect(pathMatches({ path: '/foo', pathType: 'Prefix' }, '/foobar')).toBe(false);
    expect(pathMatches({ path: '/foo', pathType: 'Prefix' }, '/foo/bar')).toBe(true);
  });
  it('normalizes hosts and request targets', () => {
    expect(normalizeHost('Web.Example.COM:8080')).toBe('web.example.com');
    expect(normalizeHost('web.example.com.')).toBe('web.example.com');
    expect(normalizeRequestPath('/a//b?x=1')).toBe('/a/b');
  });
});
