/**
 * IngressRoutes -> nginx.conf for the lab's L7 load balancer (the guide's ALB). One server per
 * host (wildcards as one-label regexes: nginx's own `*.foo.com` would also match a.b.foo.com),
 * a default server for host-less rules and the default backend, and per path rule:
 *   Exact  /p -> `location = /p`
 *   Prefix /p -> `location /p/` + `location = /p` (element semantics: /p, /p/, /p/x but not /px)
 *   Prefix /  -> `location /`
 *   ImplementationSpecific /p -> `location /p` (string prefix, as ingress-nginx; yields to an
 *   identical Prefix location)
 * nginx takes an exact location first, else the longest prefix: the same choice as matchIngress().
 * Upstreams are every node's <nodeIP>:<nodePort> (instance targets, nodes with or without a
 * backend pod), with passive health checks and keepalive.
 */
import { createHash } from 'crypto';
import type { BackendRef, HostRules, IngressRoutes, PathRule } from './types';
import { backendLabel, upstreamName } from './types';
import type { EndpointSlice } from '../proxy/endpoints';
import { selectPath } from './match';

export interface NginxOptions {
  /** `listen` argument (80 in the lab; `127.0.0.1:PORT` in tests). */
  listen?: string;
  /** Directory for pid, error log and temp files. */
  runDir?: string;
  /** Access log file, or undefined for `access_log off`. */
  accessLog?: string;
  /** `user` directive (workers' user), when nginx runs as root and the default user does not fit. */
  user?: string;
  workerProcesses?: number | 'auto';
  /** Passive health: failures within failTimeout that take a node out for failTimeout. */
  maxFails?: number;
  failTimeout?: string;
  /** Idle keepalive connections kept open to each upstream per worker. */
  keepalive?: number;
  /**
   * Where the controller's status server listens (ingress-nginx uses :10254): /healthz, and
   * /config-hash answering the hash of the rest of the config, so a reload can be confirmed.
   */
  statusListen?: string;
  /** EndpointSlices, for backends in endpoints mode (their ready endpoints are the upstream servers). */
  endpoints?: EndpointSlice[];
}

export const STATUS_PORT = 10254;
/** A local server answering 503 "no endpoints": the upstream of an endpoints-mode backend with none ready. */
export const NO_ENDPOINTS_PORT = 10255;

export const DEFAULT_RUN_DIR = '/run/k8s-netlab-ingress';

/** Upstream targets: the address of every node (its VPC address, or loopback in tests). */
export interface UpstreamNode {
  ip: string;
}

function quote(s: string): string {
  // Paths are restricted by parse.ts (no quotes, backslashes, braces, ';' or spaces).
  return `"${s}"`;
}

/** server_name value of a host: exact name, a one-label regex for `*.x`, `_` for host-less rules. */
export function serverName(host: string): string {
  if (host === '') return '_';
  if (host.startsWith('*.')) return `~^[^.]+${host.slice(1).replace(/\./g, '\\.')}$`;
  return host;
}

function proxyTo(b: BackendRef): string[] {
  const via = b.mode === 'endpoints' ? 'to its ready endpoints' : `via NodePort ${b.nodePort}`;
  return [`# ${backendLabel(b)} ${via}`, `proxy_pass http://${upstreamName(b)};`];
}

function block(head: string, body: string[], indent: string): string[] {
  return [`${indent}${head} {`, ...body.map((l) => `${indent}  ${l}`), `${indent}}`];
}

/** The location blocks of one server (host). */
export function renderLocations(rules: PathRule[], fallback: BackendRef | undefined, indent = '    '): string[] {
  const out: string[] = [];
  const exact = new Set(rules.filter((r) => r.pathType === 'Exact').map((r) => r.path));
  let root = false;
  const sorted = [...rules].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : a.pathType < b.pathType ? -1 : 1,
  );
  // Prefix rules' prefix locations: an ImplementationSpecific rule rendering the same one yields to it.
  const prefixLocations = new Set(
    rules.filter((r) => r.pathType === 'Prefix').map((r) => (r.path === '/' ? '/' : `${r.path}/`)),
  );
  for (const r of sorted) {
    const why = `# ${r.pathType} ${r.path} (Ingress ${r.ingress})`;
    if (r.pathType === 'ImplementationSpecific') {
      // ingress-nginx: a plain prefix location on the path as written (a string prefix).
      if (prefixLocations.has(r.path)) continue;
      if (r.path === '/') root = true;
      out.push(...block(`location ${quote(r.path)}`, [why, ...proxyTo(r.backend)], indent));
    } else if (r.pathType === 'Exact') {
      out.push(...block(`location = ${quote(r.path)}`, [why, ...proxyTo(r.backend)], indent));
    } else if (r.path === '/') {
      root = true;
      out.push(...block('location /', [why, ...proxyTo(r.backend)], indent));
    } else {
      out.push(...block(`location ${quote(`${r.path}/`)}`, [why, ...proxyTo(r.backend)], indent));
      // An Exact rule on the same path wins over Prefix (equal length): it renders this location.
      if (!exact.has(r.path)) out.push(...block(`location = ${quote(r.path)}`, [why, ...proxyTo(r.backend)], indent));
    }
  }
  // nginx answers `/p` with a 301 to `/p/` when `location = /p/` (or `location /p/`) proxies
  // and nothing else claims `/p` exactly; Kubernetes routes `/p` by the remaining rules instead.
  const exactDone = new Set([...exact, ...sorted.filter((r) => r.pathType === 'Prefix').map((r) => r.path)]);
  for (const r of sorted) {
    if (r.pathType === 'Prefix' || r.path === '/' || !r.path.endsWith('/')) continue;
    const bare = r.path.slice(0, -1);
    if (exactDone.has(bare)) continue;
    exactDone.add(bare);
    const win = selectPath(rules, bare);
    const target = win?.backend ?? fallback;
    const why = `# ${bare}: not matched by ${r.pathType} ${r.path}; routed as the matcher does (no 301 to ${r.path})`;
    out.push(...block(`location = ${quote(bare)}`, target ? [why, ...proxyTo(target)] : [why, 'return 404;'], indent));
  }
  if (!root) {
    const body = fallback
      ? ['# no rule matched: the default backend', ...proxyTo(fallback)]
      : ['# no rule matched and no default backend', 'return 404;'];
    out.push(...block('location /', body, indent));
  }
  return out;
}

/** Every backend the routes use, once each, in a stable order. */
export function routeBackends(routes: IngressRoutes): BackendRef[] {
  const seen = new Map<string, BackendRef>();
  for (const h of routes.hosts) for (const r of h.paths) seen.set(upstreamName(r.backend), r.backend);
  if (routes.defaultBackend) seen.set(upstreamName(routes.defaultBackend.backend), routes.defaultBackend.backend);
  return [...seen.keys()].sort().map((k) => seen.get(k)!);
}

/** Ready endpoints (ip:port) of an endpoints-mode backend, from the EndpointSlices. */
export function backendEndpoints(b: BackendRef, slices: EndpointSlice[]): string[] {
  const s = slices.find(
    (x) =>
      x.namespace === b.namespace &&
      x.service === b.service &&
      x.portName === (b.portName ?? '') &&
      x.protocol === 'TCP' &&
      x.port === b.port,
  );
  return (s?.endpoints ?? []).filter((e) => e.ready).map((e) => `${e.ip}:${e.port}`);
}

export function renderUpstream(b: BackendRef, nodes: UpstreamNode[], opts: NginxOptions = {}): string[] {
  const maxFails = opts.maxFails ?? 2;
  const failTimeout = opts.failTimeout ?? '10s';
  if (b.mode === 'endpoints') {
    // ingress-nginx sends to the endpoints itself (no kube-proxy, no NodePort); none ready -> 503.
    const eps = backendEndpoints(b, opts.endpoints ?? []);
    return block(
      `upstream ${upstreamName(b)}`,
      [
        `# Service ${backendLabel(b)}: its ${eps.length} ready endpoint(s), updated on every endpoint change`,
        ...(eps.length
          ? eps.map((e) => `server ${e} max_fails=${maxFails} fail_timeout=${failTimeout};`)
          : [`server 127.0.0.1:${NO_ENDPOINTS_PORT};`]),
        `keepalive ${opts.keepalive ?? 32};`,
      ],
      '  ',
    );
  }
  return block(
    `upstream ${upstreamName(b)}`,
    [
      `# Service ${backendLabel(b)}: NodePort ${b.nodePort} on every node`,
      ...nodes.map((n) => `server ${n.ip}:${b.nodePort} max_fails=${maxFails} fail_timeout=${failTimeout};`),
      `keepalive ${opts.keepalive ?? 32};`,
    ],
    '  ',
  );
}

function renderServer(h: HostRules | undefined, routes: IngressRoutes, opts: NginxOptions): string[] {
  const listen = opts.listen ?? '80';
  const isDefault = !h || h.host === '';
  const head = [`listen ${listen}${isDefault ? ' default_server' : ''};`, `server_name ${serverName(h?.host ?? '')};`];
  const locs = renderLocations(h?.paths ?? [], routes.defaultBackend?.backend, '');
  const title = h ? (h.host ? `host ${h.host}` : 'rules without a host (any host)') : 'no host matched';
  return [`  # ${title}`, ...block('server', [...head, ...locs], '  ')];
}

/** The whole nginx.conf. */
export function renderNginxConf(routes: IngressRoutes, nodes: UpstreamNode[], opts: NginxOptions = {}): string {
  const run = opts.runDir ?? DEFAULT_RUN_DIR;
  const lines: string[] = [
    "# Rendered by k8s-netlab from the lab's Ingress objects; `lab apply` rewrites it and reloads nginx.",
    ...(opts.user ? [`user ${opts.user};`] : []),
    `worker_processes ${opts.workerProcesses ?? 'auto'};`,
    `pid ${run}/nginx.pid;`,
    `error_log ${run}/error.log notice;`,
    'events { worker_connections 4096; }',
    'http {',
    opts.accessLog ? `  access_log ${opts.accessLog};` : '  access_log off;',
    `  client_body_temp_path ${run}/client_body;`,
    `  proxy_temp_path ${run}/proxy;`,
    `  fastcgi_temp_path ${run}/fastcgi;`,
    `  uwsgi_temp_path ${run}/uwsgi;`,
    `  scgi_temp_path ${run}/scgi;`,
    '  server_names_hash_bucket_size 128;',
    '  server_tokens off;',
    '  keepalive_timeout 65s;',
    '  # HTTP/1.1 without "Connection: close" so upstream connections are kept alive.',
    '  proxy_http_version 1.1;',
    '  proxy_set_header Connection "";',
    '  proxy_set_header Host $host;',
    '  # The client connects straight to this proxy, so $remote_addr is the client (the ALB sets XFF the same way).',
    '  proxy_set_header X-Forwarded-For $remote_addr;',
    '  proxy_set_header X-Real-IP $remote_addr;',
    '  proxy_set_header X-Forwarded-Proto $scheme;',
    '  proxy_set_header X-Forwarded-Host $host;',
    '  proxy_set_header X-Forwarded-Port $server_port;',
    '  proxy_connect_timeout 2s;',
    '  proxy_read_timeout 30s;',
    '  # A node that refuses or times out is marked failed (max_fails) and the request retried on another.',
    '  proxy_next_upstream error timeout;',
    '  proxy_next_upstream_tries 3;',
  ];
  const backends = routeBackends(routes);
  for (const b of backends) lines.push(...renderUpstream(b, nodes, opts));
  if (backends.some((b) => b.mode === 'endpoints' && backendEndpoints(b, opts.endpoints ?? []).length === 0)) {
    lines.push(
      '  # endpoints-mode backends without a ready endpoint answer here',
      ...block('server', [`listen 127.0.0.1:${NO_ENDPOINTS_PORT};`, 'return 503 "no endpoints\\n";'], '  '),
    );
  }
  const hostless = routes.hosts.find((h) => h.host === '');
  lines.push(...renderServer(hostless, routes, opts));
  for (const h of routes.hosts) if (h.host !== '') lines.push(...renderServer(h, routes, opts));
  if (opts.statusListen) {
    const hash = configHash(lines.join('\n'));
    lines.push(
      "  # The controller's status server: a reload is confirmed when /config-hash answers the new hash.",
      ...block(
        'server',
        [
          `listen ${opts.statusListen};`,
          'location = /healthz { return 200 "ok\\n"; }',
          `location = /config-hash { return 200 "${hash}\\n"; }`,
          'location / { return 404; }',
        ],
        '  ',
      ),
    );
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** First 16 hex of sha256 of the config text (what /config-hash answers). */
export function configHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The hash a rendered config's status server answers, read back from the text. */
export function renderedHash(conf: string): string | undefined {
  return /location = \/config-hash \{ return 200 "([0-9a-f]+)\\n"; \}/.exec(conf)?.[1];
}
