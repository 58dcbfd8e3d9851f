/** The pod test server (images/netexec/netexec.c, compiled), run on loopback with free high ports. */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as dgram from 'dgram';
import * as http from 'http';
import * as net from 'net';
import { netexecBinary } from '../fixtures/netexec-bin';

let NETEXEC: string;
beforeAll(() => {
  NETEXEC = netexecBinary();
}, 60_000);

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

interface Resp {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  localPort: number;
}

function get(
  port: number,
  p: string,
  opts: { agent?: http.Agent; headers?: Record<string, string> } = {},
): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: opts.agent, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          headers: res.headers,
          localPort: req.socket!.localPort!,
        }),
      );
    });
    req.on('error', reject);
  });
}

function udp(port: number, msg: string): Promise<{ reply: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no UDP reply to ${msg}`));
    }, 3000);
    s.on('message', (m) => {
      clearTimeout(timer);
      const localPort = s.address().port;
      s.close();
      resolve({ reply: m.toString(), localPort });
    });
    s.send(msg, port, '127.0.0.1');
  });
}

async function waitHttp(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await get(port, '/healthz');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('netexec did not come up');
}

function exited(p: ChildProcess, ms = 3000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (p.exitCode !== null) return resolve(p.exitCode);
    const t = setTimeout(() => reject(new Error('did not exit')), ms);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

/** Sends `data` (in parts, `gapMs` apart), half-closes, and returns everything the server sent until it closed. */
function rawHttp(port: number, data: string | string[], gapMs = 0): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const parts = Array.isArray(data) ? data : [data];
    const s = net.connect(port, '127.0.0.1', async () => {
      for (let i = 0; i < parts.length; i++) {
        if (i > 0 && gapMs) await new Promise((r) => setTimeout(r, gapMs));
        s.write(parts[i]);
      }
      s.end();
    });
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

describe('netexec', () => {
  let proc: ChildProcess;
  let httpPort: number;
  let udpPort: number;

  beforeAll(async () => {
    httpPort = await freeTcpPort();
    udpPort = await freeUdpPort();
    proc = spawn(
      NETEXEC,
      [
        '--http-port',
        String(httpPort),
        '--udp-port',
        String(udpPort),
        '--http-bind',
        '127.0.0.1',
        '--udp-bind',
        '127.0.0.1',
        '--name',
        'web-7d4b9c-x2x9p',
      ],
      { stdio: 'ignore' },
    );
    await waitHttp(httpPort);
  });

  afterAll(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });

  test('/hostname answers the pod name, plain text, no trailing newline', async () => {
    const r = await get(httpPort, '/hostname');
    expect(r.status).toBe(200);
    expect(r.body).toBe('web-7d4b9c-x2x9p');
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
  });

  test('/clientip answers the peer as ip:port', async () => {
    const r = await get(httpPort, '/clientip');
    expect(r.body).toBe(`127.0.0.1:${r.localPort}`);
  });

  test('/header?key= answers the request header', async () => {
    const r = await get(httpPort, '/header?key=X-Forwarded-For', { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    expect(r.body).toBe('203.0.113.9');
    expect((await get(httpPort, '/header?key=X-Absent')).body).toBe('');
  });

  test('/echo?msg= echoes, URL-decoded', async () => {
    expect((await get(httpPort, '/echo?msg=hello%20pod')).body).toBe('hello pod');
  });

  test('unknown path is 404', async () => {
    expect((await get(httpPort, '/nope')).status).toBe(404);
  });

  test('HTTP/1.1 keep-alive reuses one connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const a = await get(httpPort, '/clientip', { agent });
    const b = await get(httpPort, '/clientip', { agent });
    expect(a.body).toBe(b.body);
    agent.destroy();
  });

  test('readiness flips /healthz and /readyz', async () => {
    expect((await get(httpPort, '/healthz')).body).toBe('ok');
    expect((await get(httpPort, '/ready?set=false')).body).toBe('ready=false');
    expect((await get(httpPort, '/healthz')).status).toBe(503);
    expect((await get(httpPort, '/readyz')).status).toBe(503);
    expect((await get(httpPort, '/ready?set=true')).body).toBe('ready=true');
    const r = await get(httpPort, '/readyz');
    expect([r.status, r.body]).toEqual([200, 'ok']);
    expect((await get(httpPort, '/ready?set=maybe')).status).toBe(400);
  });

  test('UDP hostname, clientip, echo', async () => {
    expect((await udp(udpPort, 'hostname')).reply).toBe('web-7d4b9c-x2x9p');
    const c = await udp(udpPort, 'clientip');
    expect(c.reply).toBe(`127.0.0.1:${c.localPort}`);
    expect((await udp(udpPort, 'echo over udp')).reply).toBe('over udp');
  });

  test('raw HTTP: pipelined requests, a POST body, HEAD, Connection: close, garbage', async () => {
    const raw = (data: string) => rawHttp(httpPort, data);
    const two = await raw(
      'POST /echo?msg=a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' +
        'GET /hostname HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(two.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(two).toMatch(/Content-Length: 1\r\n\r\naHTTP\/1\.1 200 OK/);
    expect(two.endsWith('\r\n\r\nweb-7d4b9c-x2x9p')).toBe(true);
    const head = await raw('HEAD /hostname HTTP/1.0\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/Content-Length: 16\r\n/);
    expect(head.endsWith('\r\n\r\n')).toBe(true);
    expect(await raw('garbage\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
  });

  test("404 body is Go http.NotFound's; /header without a key is 400; the first of repeated headers wins", async () => {
    const nf = await get(httpPort, '/hostname/x');
    expect([nf.status, nf.body]).toEqual([404, '404 page not found']);
    const nk = await get(httpPort, '/header?key=');
    expect([nk.status, nk.body]).toEqual([400, 'missing key']);
    const two = await rawHttp(
      httpPort,
      'GET /header?key=x-a HTTP/1.1\r\nX-A: first \r\nx-a: second\r\nConnection: close\r\n\r\n',
    );
    expect(two).toMatch(/Connection: close\r\n\r\nfirst$/);
  });

  test('/echo decodes + and %XX as a form value; invalid UTF-8 becomes U+FFFD', async () => {
    expect((await get(httpPort, '/echo?x=1&msg=a+b%2Bc&msg=second')).body).toBe('a b+c');
    expect((await get(httpPort, '/echo?msg=%C3%A9t%C3%A9')).body).toBe('été');
    expect((await get(httpPort, '/echo?msg=%ff')).body).toBe('\ufffd');
    expect((await get(httpPort, '/echo')).body).toBe('');
  });

  test('UDP: bare echo, surrounding whitespace, unknown commands', async () => {
    expect((await udp(udpPort, 'echo')).reply).toBe('');
    expect((await udp(udpPort, ' hostname\n')).reply).toBe('web-7d4b9c-x2x9p');
    expect((await udp(udpPort, 'dial host')).reply).toBe('unknown command: dial');
  });

  test('a request whose body arrives later, then a second request on the same connection', async () => {
    const out = await rawHttp(
      httpPort,
      [
        'POST /echo?msg=one HTTP/1.1\r\nContent-Length: 4\r\n\r\n',
        'bo',
        'dyGET /echo?msg=two HTTP/1.1\r\nConnection: close\r\n\r\n',
      ],
      50,
    );
    expect(out.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(out).toMatch(/\r\n\r\noneHTTP\/1\.1 200 OK/);
    expect(out.endsWith('\r\n\r\ntwo')).toBe(true);
  });

  test('a client that stalls mid-request does not hold up others (one process, many connections)', async () => {
    const stuck = net.connect(httpPort, '127.0.0.1');
    await new Promise((r) => stuck.once('connect', r));
    stuck.write('GET /hostname HTTP/1.1\r\nHost: x');
    try {
      const all = await Promise.all(Array.from({ length: 20 }, () => get(httpPort, '/clientip')));
      for (const r of all) expect(r.body).toBe(`127.0.0.1:${r.localPort}`);
      const late = new Promise<string>((resolve) => {
        let got = '';
        stuck.on('data', (d) => (got += d.toString()));
        stuck.on('end', () => resolve(got));
      });
      stuck.end('\r\nConnection: close\r\n\r\n');
      expect(await late).toMatch(/\r\n\r\nweb-7d4b9c-x2x9p$/);
    } finally {
      stuck.destroy();
    }
  });

  test('many pipelined requests from a client that reads only at the end all get answers, in order', async () => {
    // ~20 MB of answers: more than the socket buffers hold, so the server must queue, wait and resume.
    const n = 5000;
    const reqs = Array.from({ length: n }, (_, i) => `GET /echo?msg=${i}-${'x'.repeat(4000)} HTTP/1.1\r\n\r\n`);
    const out = await new Promise<string>((resolve, reject) => {
      const s = net.connect(httpPort, '127.0.0.1', () => {
        s.pause();
        s.end(reqs.join('') + 'GET /hostname HTTP/1.1\r\nConnection: close\r\n\r\n');
        setTimeout(() => s.resume(), 1000);
      });
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      s.on('error', reject);
    });
    const bodies = [...out.matchAll(/\r\n\r\n(\d+)-x+/g)].map((m) => Number(m[1]));
    expect(bodies).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(out.endsWith('web-7d4b9c-x2x9p')).toBe(true);
  }, 20_000);

  test('/shutdown exits the process, even with another connection open', async () => {
    const idle = net.connect(httpPort, '127.0.0.1');
    idle.on('error', () => undefined);
    await new Promise((r) => idle.once('connect', r));
    const r = await get(httpPort, '/shutdown');
    expect(r.status).toBe(200);
    expect(await exited(proc)).toBe(0);
    idle.destroy();
  });
});

describe('netexec options', () => {
  test("--help exits 0 (the lab's tool check runs it); an unknown flag or a bad port exits 2", () => {
    expect(spawnSync(NETEXEC, ['--help']).status).toBe(0);
    const bad = spawnSync(NETEXEC, ['--shutdown-delay=1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.toString()).toMatch(/unrecognized argument: --shutdown-delay=1/);
    expect(spawnSync(NETEXEC, ['--http-port=70000']).status).toBe(2);
    expect(spawnSync(NETEXEC, ['--http-bind=not-an-ip']).status).toBe(2);
  });

  test('name defaults to $POD_NAME; --udp-port 0 disables the default UDP port', async () => {
    const httpPort = await freeTcpPort();
    const p = spawn(NETEXEC, ['--http-port', String(httpPort), '--udp-port', '0', '--http-bind', '127.0.0.1'], {
      stdio: 'ignore',
      env: { ...process.env, POD_NAME: 'from-env' },
    });
    try {
      await waitHttp(httpPort);
      expect((await get(httpPort, '/hostname')).body).toBe('from-env');
      // Nothing listens on the default UDP port 8081 from this server: the default was disabled.
      const udpOpen = await new Promise<boolean>((resolve) => {
        const s = dgram.createSocket('udp4');
        s.bind(8081, '127.0.0.1', () => s.close(() => resolve(false)));
        s.on('error', () => resolve(true));
      });
      expect(udpOpen).toBe(false);
    } finally {
      p.kill('SIGKILL');
    }
  });

  test('a taken port fails the process instead of a thread', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    const p = spawn(NETEXEC, ['--http-port', String(port), '--http-bind', '127.0.0.1', '--udp-port', '0'], {
      stdio: 'ignore',
    });
    try {
      expect(await exited(p, 5000)).not.toBe(0);
    } finally {
      srv.close();
      if (p.exitCode === null) p.kill('SIGKILL');
    }
  });
});
