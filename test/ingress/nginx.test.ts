import { renderNginxConf, serverName, renderLocations } from '../../src/ingress/nginx';
import { describeWithTools } from '../tool-gate';
import { matchIngress } from '../../src/ingress/match';
import type { IngressRoutes } from '../../src/ingress/types';
import { HOST_CASES, PATH_CASES, hostService } from './cases';
import { routesFor } from './routes';
import { NginxProcess, Upstreams, cleanup, freePort, nginxBinary, nginxCheck, request, tempDir } from './nginx-harness';

const NODES = [{ ip: '10.0.1.10' }, { ip: '10.0.1.11' }, { ip: '10.0.1.12' }];

const guideLike = (): IngressRoutes =>
  routesFor([
    {
      host: 'web.example.com',
      rules: [
        { path: '/', pathType: 'Prefix', to: 'web' },
        { path: '/healthz', pathType: 'Exact', to: 'api' },
      ],
    },
    {
      host: '*.apps.example.com',
      rules: [
        { path: '/api', pathType: 'Prefix', to: 'api' },
        { path: '/api', pathType: 'Exact', to: 'web' },
      ],
    },
  ]);

describe('renderNginxConf', () => {
  const conf = renderNginxConf(guideLike(), NODES);

  it('lists every node as an upstream server of each service port, with passive health and keepalive', () => {
    const up = /upstream default_api_80 \{([^}]*)\}/.exec(conf)?.[1] ?? '';
    const servers = [...up.matchAll(/server (\S+) max_fails=2 fail_timeout=10s;/g)].map((m) => m[1]);
    const np = guideLike().hosts[1].paths.find((p) => p.backend.service === 'api')!.backend.nodePort;
    expect(servers).toEqual(NODES.map((n) => `${n.ip}:${np}`));
    expect(up).toMatch(/keepalive 32;/);
    expect(conf.match(/^\s*upstream /gm)).toHaveLength(3); // api, default, web
  });

  it('sets X-Forwarded-For to the client address and the usual proxy headers', () => {
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
    expect(conf).toMatch(/proxy_set_header Host \$host;/);
    expect(conf).toMatch(/proxy_set_header X-Real-IP \$remote_addr;/);
    expect(conf).toMatch(/proxy_set_header X-Forwarded-Proto \$scheme;/);
    expect(conf).toMatch(/proxy_set_header Connection "";/);
    expect(conf).toMatch(/access_log off;/);
  });

  it('renders a one-label regex for wildcards and a default server', () => {
    expect(serverName('*.apps.example.com')).toBe('~^[^.]+\\.apps\\.example\\.com$');
    expect(serverName('')).toBe('_');
    expect(conf).toMatch(/listen 80 default_server;\s+server_name _;/);
    expect(conf).toMatch(/server_name ~\^\[\^\.\]\+\\\.apps\\\.example\\\.com\$;/);
  });

  it('renders Prefix as two locations and lets Exact take the exact one', () => {
    const locs = renderLocations(guideLike().hosts[1].paths, undefined, '').filter((l) => l.startsWith('location'));
    expect(locs).toEqual(['location = "/api" {', 'location "/api/" {', 'location / {']);
    const body = renderLocations(guideLike().hosts[1].paths, undefined, '').join('\n');
    expect(body).toMatch(/location = "\/api" \{\n  # Exact \/api[^\n]*\n[^\n]*\n  proxy_pass http:\/\/default_web_80;/);
    expect(body).toMatch(/location \/ \{\n  # no rule matched and no default backend\n  return 404;/);
  });

  it('sends unmatched requests to the default backend when there is one', () => {
    expect(conf).toMatch(/# no rule matched: the default backend\n[^\n]*\n\s*proxy_pass http:\/\/default_default_80;/);
  });
});

const NGINX = nginxBinary();
const withNginx = describeWithTools(
  NGINX ? undefined : 'nginx not installed (apt-get install nginx-light)',
  'the nginx -t and differential tests',
);

withNginx('real nginx', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => cleanup(dir));

  it('nginx -t accepts the rendered configs of every test case', () => {
    const all = [guideLike(), ...PATH_CASES.map((c) => routesFor([{ host: 'h.example.com', rules: c.rules }]))];
    for (const r of all) {
      const res = nginxCheck(renderNginxConf(r, NODES, { runDir: dir }), dir);
      expect(res.output).toBe('');
      expect(res.ok).toBe(true);
    }
    // And rejects a broken one, so the check can fail.
    expect(nginxCheck('http { server { location / { bogus_directive on; } } }', dir).ok).toBe(false);
  });

  describe('differential: matchIngress vs what nginx serves', () => {
    const ups = new Upstreams();
    afterAll(() => ups.close());

    /** Serves `routes` from a fresh nginx and returns, per request, what nginx and the matcher chose. */
    async function compare(routes: IngressRoutes, requests: Array<{ host: string; path: string }>, d: string) {
      const port = await freePort();
      const ng = new NginxProcess(d, port);
      await ng.start(
        renderNginxConf(routes, [{ ip: '127.0.0.1' }], { listen: `127.0.0.1:${port}`, runDir: d, workerProcesses: 1 }),
      );
      try {
        const out: Array<{ nginx: string; matcher: string; xff: string }> = [];
        for (const q of requests) {
          const a = await request(port, q.host, q.path);
          const m = matchIngress(routes, q.host, q.path);
          out.push({
            nginx: a.status === 404 ? '404' : a.status === 200 ? a.body : `HTTP ${a.status}`,
            matcher: m.kind === 'notfound' ? '404' : m.backend.service,
            xff: String(a.headers['x-seen-xff'] ?? ''),
          });
        }
        return out;
      } finally {
        await ng.stop();
      }
    }

    it('path cases (Kubernetes table): nginx, matcher and the expected answer agree', async () => {
      const names = new Set(['default', ...PATH_CASES.flatMap((c) => c.rules.map((r) => r.to))]);
      for (const n of names) await ups.add(n);
      // One host per case, all in one config.
      const routes = routesFor(
        PATH_CASES.map((c, i) => ({ host: `case${i}.example.com`, rules: c.rules })),
        true,
        (n) => ups.port(n),
      );
      const got = await compare(
        routes,
        PATH_CASES.map((c, i) => ({ host: `case${i}.example.com`, path: c.request })),
        dir,
      );
      const table = PATH_CASES.map((c, i) => ({ case: c.name, want: c.want, ...got[i] }));
      for (const row of table) {
        expect({ case: row.case, nginx: row.nginx }).toEqual({ case: row.case, nginx: row.want });
        expect({ case: row.case, matcher: row.matcher }).toEqual({ case: row.case, matcher: row.want });
        expect(row.xff).toBe('127.0.0.1');
      }
    });

    it('host cases: nginx, matcher and the expected answer agree', async () => {
      for (const c of HOST_CASES) {
        for (const n of ['default', ...c.hosts.map(hostService)]) await ups.add(n);
        const routes = routesFor(
          c.hosts.map((h) => ({ host: h, rules: [{ path: '/', pathType: 'Prefix', to: hostService(h) }] })),
          true,
          (n) => ups.port(n),
        );
        const d = tempDir();
        try {
          const [got] = await compare(routes, [{ host: c.request, path: '/' }], d);
          expect({ case: c.name, nginx: got.nginx, matcher: got.matcher }).toEqual({
            case: c.name,
            nginx: c.want,
            matcher: c.want,
          });
        } finally {
          cleanup(d);
        }
      }
    });

    it('no default backend: nginx answers 404 where the matcher says notfound', async () => {
      await ups.add('app');
      const routes = routesFor(
        [{ host: 'web.example.com', rules: [{ path: '/app', pathType: 'Exact', to: 'app' }] }],
        false,
        (n) => ups.port(n),
      );
      const got = await compare(
        routes,
        [
          { host: 'web.example.com', path: '/app' },
          { host: 'web.example.com', path: '/app/x' },
          { host: 'x.org', path: '/app' },
        ],
        dir,
      );
      expect(got.map((g) => [g.nginx, g.matcher])).toEqual([
        ['app', 'app'],
        ['404', '404'],
        ['404', '404'],
      ]);
    });
  });
});
