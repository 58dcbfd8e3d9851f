/**
 * The HTTP sweep as the lab runs it (sh feeding images/probes/http-sweep.py to python3), against
 * a server on loopback: one line per request in curl's exit codes, a new connection each,
 * at most `parallel` in flight, a give-up after failures in a row, a time-out asked once more.
 */
import { spawn } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import { parseHttpSweep, renderHttpSweep, sweepCount, sweepRetries, tally } from '../../src/observe/sweep';
import type { SweepOptions } from '../../src/observe/sweep';

const run = (cmd: string) =>
  new Promise<string>((resolve, reject) => {
    const p = spawn('sh', ['-c', cmd]);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });

interface Server {
  port: number;
  /** Connections accepted, in order, with their client ports. */
  conns: number[];
  /** The most requests waiting for their answer at once. */
  peak: number;
  requests: Array<{ url: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/** A server whose `handle` gets the n-th request (1-based) and answers, hangs or drops it. */
async function server(handle: (n: number, req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const s: Server = { port: 0, conns: [], peak: 0, requests: [], close: async () => undefined };
  let inFlight = 0;
  const sockets = new Set<net.Socket>();
  const srv = http.createServer((req, res) => {
    s.requests.push({ url: req.url!, headers: req.headers });
    s.peak = Math.max(s.peak, ++inFlight);
    res.on('finish', () => inFlight--);
    handle(s.requests.length, req, res);
  });
  srv.on('connection', (c) => {
    sockets.add(c);
    s.conns.push(c.remotePort!);
    c.on('close', () => sockets.delete(c));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  s.port = (srv.address() as net.AddressInfo).port;
  s.close = () =>
    new Promise<void>((r) => {
      for (const c of sockets) c.destroy();
      srv.close(() => r());
    });
  return s;
}

const sweep = (s: Server, k: number, opts: SweepOptions = {}, path = '/hostname') =>
  run(renderHttpSweep(`http://127.0.0.1:${s.port}${path}`, k, opts));

describe('HTTP sweep program', () => {
  it('one line per request as the curl sweep printed it, each on a new connection', async () => {
    const s = await server((n, _req, res) => res.end(n % 2 ? 'web-a' : 'web-b\n'));
    const out = await sweep(s, 6);
    await s.close();
    const lines = parseHttpSweep(out);
    expect(lines).toHaveLength(6);
    expect(tally(lines)).toEqual({ 'web-a': 3, 'web-b': 3 });
    expect(out.split('\n')[0]).toMatch(/^0 web-[ab] __CURL__ 200 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+$/);
    // Six connections from six source ports: each request a load-balancing choice of its own.
    expect(new Set(s.conns).size).toBe(6);
    expect(new Set(lines.map((l) => l.local)).size).toBe(6);
    expect(lines.map((l) => Number(l.local!.split(':')[1])).sort()).toEqual([...s.conns].sort());
  });

  it('an HTTP error is an answer with its status (exit 0), as curl without -f', async () => {
    const s = await server((_n, _req, res) => {
      res.statusCode = 503;
      res.end('no endpoints');
    });
    const [l] = parseHttpSweep(await sweep(s, 1));
    await s.close();
    expect(l).toMatchObject({ exit: 0, code: 503, body: 'no endpoints' });
  });

  it("curl's exit codes: 7 refused, 28 timed out, 52 closed without an answer", async () => {
    const closed = await server(() => undefined);
    const port = closed.port;
    await closed.close();
    const refused = parseHttpSweep(await run(renderHttpSweep(`http://127.0.0.1:${port}/hostname`, 1)));
    const hang = await server(() => undefined);
    const timedOut = parseHttpSweep(await sweep(hang, 1, { timeoutSec: 1 }));
    await hang.close();
    const drop = await server((_n, req) => req.socket.destroy());
    const empty = parseHttpSweep(await sweep(drop, 1));
    await drop.close();
    expect(refused.map((l) => [l.exit, l.code])).toEqual([[7, 0]]);
    expect(timedOut.map((l) => [l.exit, l.code])).toEqual([[28, 0]]);
    expect(empty.map((l) => [l.exit, l.code])).toEqual([[52, 0]]);
    expect(tally(empty)).toEqual({ '(failed: exit 52)': 1 });
  });

  it('at most `parallel` requests in flight; all K sent and reported in the order sent', async () => {
    const s = await server((n, _req, res) => setTimeout(() => res.end(`r${n}`), 100));
    const lines = parseHttpSweep(await sweep(s, 9, { parallel: 3 }));
    const one = await server((n, _req, res) => setTimeout(() => res.end(`r${n}`), 30));
    const serial = parseHttpSweep(await sweep(one, 4, { parallel: 1 }));
    await s.close();
    await one.close();
    expect(lines).toHaveLength(9);
    expect(s.peak).toBeLessThanOrEqual(3);
    expect(s.peak).toBeGreaterThan(1);
    expect(one.peak).toBe(1);
    // One at a time: the n-th line is the n-th request the server got.
    expect(serial.map((l) => l.body)).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('gives up after N failures in a row, and only then', async () => {
    const dead = await server((_n, req) => req.socket.destroy());
    const gaveUp = parseHttpSweep(await sweep(dead, 20, { giveUpAfter: 5, parallel: 1 }));
    // Side by side, what was in flight when the fifth failure came is still reported.
    const wide = parseHttpSweep(await sweep(dead, 20, { giveUpAfter: 5, parallel: 4 }));
    await dead.close();
    expect(gaveUp).toHaveLength(5);
    expect(wide.length).toBeGreaterThanOrEqual(5);
    expect(wide.length).toBeLessThan(20);
    // A success resets the count: every third request answers, so all 20 are sent.
    const flaky = await server((n, req, res) => (n % 3 === 0 ? res.end('web-a') : req.socket.destroy()));
    const mixed = parseHttpSweep(await sweep(flaky, 20, { giveUpAfter: 5, parallel: 1 }));
    await flaky.close();
    expect(mixed).toHaveLength(20);
    expect(mixed.filter((l) => l.body === 'web-a')).toHaveLength(6);
  });

  it('with retryTimeouts a timed-out request is sent once more, marked; a second time-out stays a failure', async () => {
    // The first request hangs, the rest answer.
    const once = await server((n, _req, res) => (n === 1 ? undefined : res.end('web-a')));
    const out = await sweep(once, 3, { retryTimeouts: true, timeoutSec: 1, parallel: 1 });
    await once.close();
    expect(sweepRetries(out)).toBe(1);
    expect(parseHttpSweep(out).map((l) => l.exit)).toEqual([0, 0, 0]);
    expect(once.requests).toHaveLength(4);
    const hang = await server(() => undefined);
    const twice = await sweep(hang, 1, { retryTimeouts: true, timeoutSec: 1 });
    await hang.close();
    expect(sweepRetries(twice)).toBe(1);
    expect(parseHttpSweep(twice).map((l) => l.exit)).toEqual([28]);
    // Without retryTimeouts a time-out is final.
    const plain = await server(() => undefined);
    const final = await sweep(plain, 1, { timeoutSec: 1 });
    await plain.close();
    expect(sweepRetries(final)).toBe(0);
    expect(plain.requests).toHaveLength(1);
  });

  it('a refusal is not sent again, even with retryTimeouts', async () => {
    const closed = await server(() => undefined);
    const port = closed.port;
    await closed.close();
    const out = await run(renderHttpSweep(`http://127.0.0.1:${port}/x`, 2, { retryTimeouts: true, parallel: 1 }));
    expect(sweepRetries(out)).toBe(0);
    expect(parseHttpSweep(out).map((l) => l.exit)).toEqual([7, 7]);
  });

  it('sends the source address and headers asked for; the path and query as given', async () => {
    const s = await server((_n, req, res) => res.end(`${req.socket.remoteAddress}`));
    const lines = parseHttpSweep(
      await sweep(s, 1, { iface: '127.0.0.1', headers: ['Host: web.example.com', 'X-Probe: 1'] }, '/echo?msg=a%20b'),
    );
    await s.close();
    expect(lines[0].body).toBe('127.0.0.1');
    expect(s.requests[0].url).toBe('/echo?msg=a%20b');
    expect(s.requests[0].headers).toMatchObject({ host: 'web.example.com', 'x-probe': '1' });
  });

  it('the rendered command names its K, for fakes that answer K lines', () => {
    expect(sweepCount(renderHttpSweep('http://10.96.0.1/hostname', 5))).toBe(5);
    expect(sweepCount(renderHttpSweep('http://10.96.0.1:80/hostname', 26, { giveUpAfter: 5 }))).toBe(26);
    expect(sweepCount('curl -s http://x/')).toBeUndefined();
  });
});
