/** The LB health checker (images/lb/checker.py) run as a program on loopback, with a fake iptables-restore. */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const CHECKER = path.resolve(__dirname, '../../images/lb/checker.py');

const listen = (srv: net.Server) =>
  new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)));

async function closedPort(): Promise<number> {
  const s = net.createServer();
  const p = await listen(s);
  await new Promise((r) => s.close(r));
  return p;
}

async function until<T>(f: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const v = f();
    if (v !== undefined) return v;
  }
  throw new Error(`${what}: not after ${ms} ms`);
}

describe('LB checker program', () => {
  let proc: ChildProcess | undefined;
  const servers: net.Server[] = [];
  afterEach(async () => {
    proc?.kill('SIGKILL');
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  it('checks each target (TCP connect, HTTP /healthz), loads only the healthy targets, reports every check', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbc-'));
    const tcp = net.createServer((c) => c.end());
    const healthz = http.createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? 503 : 404;
      res.end('{}');
    });
    servers.push(tcp, healthz);
    const [up, down, unhealthy] = [await listen(tcp), await closedPort(), await listen(healthz)];
    // The fake restore keeps what it was asked to load (argv: -w --noflush FILE).
    const restore = path.join(dir, 'restore');
    fs.writeFileSync(restore, `#!/bin/sh\ncp "$3" ${dir}/loaded\n`, { mode: 0o755 });
    const target = (node: string, port: number, check: object) => ({ node, ip: '127.0.0.1', port, check });
    const dnat = (node: string) => ({ node, head: `-A LB-SVC-A -m comment --comment "${node}"`, tail: '-j DNAT' });
    const conf = {
      restore,
      intervalSeconds: 0.2,
      timeoutSeconds: 0.5,
      rise: 1,
      fall: 1,
      rules: { natChains: ['LB-SERVICES', 'LB-SVC-A'], filterChain: 'LB-FIREWALL' },
      entries: [
        {
          name: 'default/web',
          targets: [
            target('n1', up, { kind: 'tcp', port: up }),
            target('n2', down, { kind: 'tcp', port: down }),
            target('n3', unhealthy, { kind: 'http', port: unhealthy, path: '/healthz' }),
          ],
          rules: { nat: ['-A LB-SERVICES -j LB-SVC-A'], filter: [], dnat: [dnat('n1'), dnat('n2'), dnat('n3')] },
        },
      ],
    };
    fs.writeFileSync(path.join(dir, 'conf.json'), JSON.stringify(conf));
    const state = path.join(dir, 'state.json');
    proc = spawn('python3', [CHECKER, path.join(dir, 'conf.json'), state, path.join(dir, 'rules')]);
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += d));
    const report = await until(() => {
      if (!fs.existsSync(state)) return undefined;
      return JSON.parse(fs.readFileSync(state, 'utf8')).services['default/web'];
    }, `checker state (stderr: ${stderr})`);
    expect(report.healthy).toEqual(['n1']);
    expect(report.checks).toEqual({
      n1: { ok: true, detail: 'connected', check: `tcp:${up}` },
      n2: { ok: false, detail: 'ConnectionRefusedError', check: `tcp:${down}` },
      n3: { ok: false, detail: 'HTTP 503', check: `http:${unhealthy}` },
    });
    const loaded = await until(
      () => (fs.existsSync(path.join(dir, 'loaded')) ? fs.readFileSync(path.join(dir, 'loaded'), 'utf8') : undefined),
      'rules loaded',
    );
    expect(loaded).toBe(
      [
        '*nat',
        ':LB-SERVICES - [0:0]',
        ':LB-SVC-A - [0:0]',
        '-A LB-SERVICES -j LB-SVC-A',
        '-A LB-SVC-A -m comment --comment "n1" -j DNAT',
        'COMMIT',
        '*filter',
        ':LB-FIREWALL - [0:0]',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('a touched config starts the next round at once (not after the 30 s interval); the state says when its round began', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbk-'));
    const tcp = net.createServer((c) => c.end());
    servers.push(tcp);
    const port = await listen(tcp);
    const restore = path.join(dir, 'restore');
    fs.writeFileSync(restore, '#!/bin/sh\n', { mode: 0o755 });
    const conf = {
      restore,
      intervalSeconds: 30,
      timeoutSeconds: 1,
      rise: 1,
      fall: 1,
      rules: { natChains: ['LB-SERVICES'], filterChain: 'LB-FIREWALL' },
      entries: [
        {
          name: 'e',
          targets: [{ node: 'n1', ip: '127.0.0.1', port, check: { kind: 'tcp', port } }],
          rules: { nat: [], filter: [], dnat: [{ node: 'n1', head: '-A X', tail: '-j DNAT' }] },
        },
      ],
    };
    const confPath = path.join(dir, 'conf.json');
    fs.writeFileSync(confPath, JSON.stringify(conf));
    const state = path.join(dir, 'state.json');
    proc = spawn('python3', [CHECKER, confPath, state, path.join(dir, 'rules')]);
    const read = () =>
      fs.existsSync(state)
        ? (JSON.parse(fs.readFileSync(state, 'utf8')) as { started: number; updated: number })
        : undefined;
    const first = await until(read, 'the first round');
    expect(first.started).toBeLessThanOrEqual(first.updated);
    const kicked = Date.now() / 1000;
    await new Promise((r) => setTimeout(r, 50));
    fs.utimesSync(confPath, new Date(), new Date());
    // A round that began after the touch, long before the interval would have ended.
    const next = await until(
      () => {
        const s = read();
        return s && s.started >= kicked ? s : undefined;
      },
      'a round begun after the touch',
      5_000,
    );
    expect(next.started).toBeGreaterThan(first.started);
    expect(next.started - kicked).toBeLessThan(5);
  });

  it('--render: kube-proxy probabilities over the healthy targets, stale chains deleted', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbr-'));
    const dnat = (node: string) => ({ node, head: `-A C -m comment --comment "${node}"`, tail: '-j DNAT' });
    const conf = {
      rules: { natChains: ['LB-SERVICES', 'C'], filterChain: 'LB-FIREWALL' },
      entries: [
        { name: 'e', rules: { nat: [], filter: ['-A LB-FIREWALL -j DROP'], dnat: ['a', 'b', 'c', 'd'].map(dnat) } },
      ],
    };
    fs.writeFileSync(path.join(dir, 'c.json'), JSON.stringify(conf));
    const out = execFileSync('python3', [
      CHECKER,
      '--render',
      path.join(dir, 'c.json'),
      '{"e": ["a", "c", "d"]}',
      '["OLD"]',
    ]).toString();
    expect(out.split('\n')).toEqual([
      '*nat',
      ':LB-SERVICES - [0:0]',
      ':C - [0:0]',
      ':OLD - [0:0]',
      '-A C -m comment --comment "a" -m statistic --mode random --probability 0.3333333333 -j DNAT',
      '-A C -m comment --comment "c" -m statistic --mode random --probability 0.5000000000 -j DNAT',
      '-A C -m comment --comment "d" -j DNAT',
      '-X OLD',
      'COMMIT',
      '*filter',
      ':LB-FIREWALL - [0:0]',
      '-A LB-FIREWALL -j DROP',
      'COMMIT',
      '',
    ]);
  });
});
