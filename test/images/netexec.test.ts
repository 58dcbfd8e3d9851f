/** The pod test server, run on loopback with free high ports. */
import { ChildProcess, spawn } from 'child_process';
import * as dgram from 'dgram';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';

const NETEXEC = path.resolve(__dirname, '../../images/netexec/netexec.py');

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

describe('netexec', () => {
  let proc: ChildProcess;
  let httpPort: number;
  let udpPort: number;

  beforeAll(async () => {
    httpPort = await freeTcpPort();
    udpPort = await freeUdpPort();
    proc = spawn(
      'python3',
      [
        NETEXEC,
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
    const raw = (data: string) =>
      new Promise<string>((resolve, reject) => {
        const s = net.connect(httpPort, '127.0.0.1', () => s.end(data));
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('end', () => resolve(got));
        s.on('error', reject);
      });
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

  test('/shutdown exits the process', async () => {
    const r = await get(httpPort, '/shutdown');
    expect(r.status).toBe(200);
    expect(await exited(proc)).toBe(0);
  });
});

describe('netexec options', () => {
  test('name defaults to $POD_NAME; --udp-port 0 disables the default UDP port', async () => {
    const httpPort = await freeTcpPort();
    const p = spawn(
      'python3',
      [NETEXEC, '--http-port', String(httpPort), '--udp-port', '0', '--http-bind', '127.0.0.1'],
      {
        stdio: 'ignore',
        env: { ...process.env, POD_NAME: 'from-env' },
      },
    );
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
    const p = spawn('python3', [NETEXEC, '--http-port', String(port), '--http-bind', '127.0.0.1', '--udp-port', '0'], {
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
