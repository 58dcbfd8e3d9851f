/** The edge's servers run as programs on loopback: kube-proxy's health servers and the Internet host's echo. */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const HEALTHZ = path.resolve(__dirname, '../../images/kube-proxy/healthz.py');
const WHOAMI = path.resolve(__dirname, '../../images/internet/whoami.py');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

interface Resp {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function get(port: number, p: string, headers: Record<string, string> = {}): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
  });
}

/** Polls until the request answers (the server takes a moment to start) or fails after 20 s. */
async function getWhenUp(port: number, p: string, ok: (r: Resp) => boolean = () => true): Promise<Resp> {
  let last: unknown;
  for (const end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    try {
      const r = await get(port, p);
      if (ok(r)) return r;
      last = r;
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`127.0.0.1:${port}${p} did not answer as expected: ${JSON.stringify(last)}`);
}

let proc: ChildProcess | undefined;
afterEach(() => proc?.kill('SIGKILL'));

describe('kube-proxy health servers (images/kube-proxy/healthz.py)', () => {
  it('200 with local endpoints, 503 without, in kube-proxy JSON; the proxier /healthz; follows config changes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hz-'));
    const conf = path.join(dir, 'healthz.json');
    const [proxy, withEp, without] = [await freePort(), await freePort(), await freePort()];
    const svc = (name: string, port: number, localEndpoints: number) => ({
      namespace: 'default',
      name,
      port,
      localEndpoints,
    });
    fs.writeFileSync(conf, JSON.stringify({ proxyPort: proxy, services: [svc('a', withEp, 2), svc('b', without, 0)] }));
    proc = spawn('python3', [HEALTHZ, conf]);

    const a = await getWhenUp(withEp, '/healthz');
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({
      service: { namespace: 'default', name: 'a' },
      localEndpoints: 2,
      serviceProxyHealthy: true,
    });
    expect(a.headers['x-load-balancing-endpoint-weight']).toBe('2');
    const b = await getWhenUp(without, '/healthz');
    expect(b.status).toBe(503);
    expect(JSON.parse(b.body).localEndpoints).toBe(0);
    const p = await getWhenUp(proxy, '/healthz');
    expect(p.status).toBe(200);
    expect(JSON.parse(p.body).nodeEligible).toBe(true);

    // b gets an endpoint, a's Service is removed: b answers 200, a's port is closed.
    fs.writeFileSync(conf + '.tmp', JSON.stringify({ proxyPort: proxy, services: [svc('b', without, 1)] }));
    fs.renameSync(conf + '.tmp', conf);
    expect((await getWhenUp(without, '/healthz', (r) => r.status === 200)).status).toBe(200);
    for (const end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      if (
        await get(withEp, '/healthz').then(
          () => false,
          () => true,
        )
      )
        break;
    }
    await expect(get(withEp, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('Internet host echo (images/internet/whoami.py)', () => {
  it('/ip, /clientip and the JSON echo show the client as the server saw it', async () => {
    const port = await freePort();
    proc = spawn('python3', [WHOAMI, String(port)]);
    const ip = await getWhenUp(port, '/ip');
    expect(ip).toMatchObject({ status: 200, body: '127.0.0.1\n' });
    expect((await get(port, '/clientip')).body).toMatch(/^127\.0\.0\.1:\d+$/);
    const echo = JSON.parse((await get(port, '/anything?x=1', { 'X-Probe': 'k' })).body);
    expect(echo).toMatchObject({ client: '127.0.0.1', method: 'GET', path: '/anything?x=1' });
    expect(echo.headers['X-Probe']).toBe('k');
  });
});
