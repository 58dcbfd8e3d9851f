import { spawn, spawnSync } from 'child_process';
import * as http from 'http';
import { AddressInfo } from 'net';
import { HTTP_LOAD_PY, parseHttpLoad, renderHttpLoad } from '../../src/ingress/http-load';

describe('http load generator', () => {
  it('renders a python3 command with quoted arguments', () => {
    const cmd = renderHttpLoad({
      ip: '203.0.113.200',
      host: 'web.example.com',
      path: '/hostname',
      seconds: 2,
      connections: 4,
      keepalive: true,
    });
    expect(cmd).toMatch(/^python3 -c '/);
    expect(cmd).toMatch(/' 203\.0\.113\.200 80 web\.example\.com \/hostname 2 4 1 5$/);
  });

  it('parses the last JSON line', () => {
    expect(parseHttpLoad('noise\n{"requests": 3, "ok": 2, "errors": 1}\n').errors).toBe(1);
    expect(() => parseHttpLoad('Traceback ...')).toThrow(/no result/);
  });

  // Runs the real script on loopback against a local server: counts and statuses must add up.
  it('measures a local server (keep-alive and new connections), counting 200s and errors', async () => {
    let n = 0;
    const srv = http.createServer((req, res) => {
      n++;
      res.statusCode = req.headers.host === 'bad' ? 503 : 200;
      res.end('x');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const run = (host: string, keep: boolean) =>
      new Promise<ReturnType<typeof parseHttpLoad>>((resolve) => {
        // spawnSync would block the server in this process: run async.
        const p = spawn('python3', [
          '-c',
          HTTP_LOAD_PY,
          '127.0.0.1',
          String(port),
          host,
          '/',
          '0.5',
          '2',
          keep ? '1' : '0',
          '2',
        ]);
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.on('exit', () => resolve(parseHttpLoad(out)));
      });
    const good = await run('ok', true);
    const fresh = await run('ok', false);
    const bad = await run('bad', true);
    srv.close();
    expect(good.requests).toBeGreaterThan(0);
    expect(good.ok).toBe(good.requests);
    expect(fresh.ok).toBe(fresh.requests);
    expect(bad.ok).toBe(0);
    expect(bad.statuses['503']).toBe(bad.requests);
    expect(good.requests + fresh.requests + bad.requests).toBe(n);
    expect(good.p99ms).toBeGreaterThanOrEqual(good.p50ms);
    expect(spawnSync('python3', ['--version']).status).toBe(0);
  });
});
