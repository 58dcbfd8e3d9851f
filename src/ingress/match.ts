/**
 * Which backend an Ingress controller picks for a request, with Kubernetes' semantics:
 * host: exact name beats a wildcard (`*.foo.com` = exactly one more label), which beats rules
 * without a host; then, within the chosen host, the longest matching path wins, Exact beats
 * Prefix of equal length, Prefix matches whole path elements (/foo matches /foo, /foo/, /foo/bar,
 * not /foobar); ImplementationSpecific is ingress-nginx's plain prefix location (/foo matches
 * /foobar); nothing matched -> the default backend, else 404. The nginx renderer must route the
 * same way (checked by a differential test against real nginx).
 */
import type { BackendRef, HostRules, IngressRoutes, PathRule } from './types';

export type MatchResult =
  | { kind: 'backend'; backend: BackendRef; rule: PathRule; host: string }
  | { kind: 'default'; backend: BackendRef }
  | { kind: 'notfound' };

/** Host header -> the name servers are selected by: lower case, port and trailing dot dropped. */
export function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/:\d*$/, '').replace(/\.$/, '');
}

/** Request target -> path matched on: query dropped, repeated slashes merged (as nginx's merge_slashes). */
export function normalizeRequestPath(target: string): string {
  const p = target.replace(/[?#].*$/, '').replace(/\/{2,}/g, '/');
  return p.startsWith('/') ? p : `/${p}`;
}

/** Does wildcard host `*.suffix` match `host`? Exactly one label in place of the `*`. */
export function wildcardMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1); // ".foo.com"
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, host.length - suffix.length);
  return label.length > 0 && !label.includes('.');
}

/** Does a rule path match the request path? (rule paths are normalized by parse: Prefix without trailing slash) */
export function pathMatches(rule: Pick<PathRule, 'path' | 'pathType'>, path: string): boolean {
  if (rule.pathType === 'Exact') return rule.path === path;
  if (rule.pathType === 'ImplementationSpecific') return path.startsWith(rule.path);
  if (rule.path === '/') return true;
  // Element-wise prefix: every element of the rule equals the request's element at that place.
  return path === rule.path || path.startsWith(`${rule.path}/`);
}

/** The host entry serving `host`: exact, else the (only possible) one-label wildcard, else the host-less rules. */
export function selectHost(routes: IngressRoutes, host: string): HostRules | undefined {
  const h = normalizeHost(host);
  return (
    routes.hosts.find((x) => x.host === h) ??
    routes.hosts.find((x) => x.host.startsWith('*.') && wildcardMatches(x.host, h)) ??
    routes.hosts.find((x) => x.host === '')
  );
}

/**
 * How nginx ranks a matching rule, as ingress-nginx renders it: exact locations (`= /p`: Exact,
 * and the exact half of a Prefix) first, Exact before Prefix; then the longest prefix location
 * (`/p/` for Prefix /p, `/` for Prefix /, the path as written for ImplementationSpecific), Prefix
 * before ImplementationSpecific when both render the same location.
 */
function rank(r: PathRule, path: string): [number, number, number] {
  if (r.pathType === 'Exact') return [2, r.path.length, 1];
  if (r.pathType === 'Prefix') {
    if (r.path !== '/' && path === r.path) return [2, r.path.length, 0];
    return [1, r.path === '/' ? 1 : r.path.length + 1, 1];
  }
  return [1, r.path.length, 0];
}

function better(a: [number, number, number], b: [number, number, number]): boolean {
  return a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
}

/** The path rule of a host entry that wins for `path`, or undefined. */
export function selectPath(rules: PathRule[], path: string): PathRule | undefined {
  let best: PathRule | undefined;
  let bestRank: [number, number, number] = [0, 0, 0];
  for (const r of rules) {
    if (!pathMatches(r, path)) continue;
    const k = rank(r, path);
    if (!best || better(k, bestRank)) {
      best = r;
      bestRank = k;
    }
  }
  return best;
}

export function matchIngress(routes: IngressRoutes, host: string, target: string): MatchResult {
  const entry = selectHost(routes, host);
  const rule = entry ? selectPath(entry.paths, normalizeRequestPath(target)) : undefined;
  if (entry && rule) return { kind: 'backend', backend: rule.backend, rule, host: entry.host };
  if (routes.defaultBackend) return { kind: 'default', backend: routes.defaultBackend.backend };
  return { kind: 'notfound' };
}
