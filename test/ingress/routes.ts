/** Builds IngressRoutes from compact host -> rules tables, through the real parser. */
import { parseIngresses } from '../../src/ingress/parse';
import type { IngressRoutes } from '../../src/ingress/types';
import type { RuleSpec } from './cases';
import { backend, ingress, sources, svc } from './fixtures';

/**
 * One Ingress with the given hosts and rules; every backend a NodePort Service named as in the
 * rule (nodePort from `portOf`, default 30100 + index), default backend Service `default`.
 */
export function routesFor(
  hostRules: Array<{ host: string; rules: RuleSpec[] }>,
  withDefault = true,
  portOf?: (name: string) => number,
): IngressRoutes {
  const names = new Set<string>(['default']);
  for (const h of hostRules) for (const r of h.rules) names.add(r.to);
  const services = [...names].map((n, i) => svc(n, portOf ? portOf(n) : 30100 + i));
  const spec = {
    ...(withDefault ? { defaultBackend: backend('default') } : {}),
    rules: hostRules.map((h) => ({
      ...(h.host ? { host: h.host } : {}),
      http: { paths: h.rules.map((r) => ({ path: r.path, pathType: r.pathType, backend: backend(r.to) })) },
    })),
  };
  const { routes, errors } = parseIngresses(sources(ingress('t', spec)), services);
  if (errors.length) throw new Error(errors.map((e) => e.message).join('\n'));
  return routes;
}
