/** The benchmarks' client programs (images/bench/) run on loopback as the benchmarks run them. */
import { spawn } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import { parseConnectTimes } from '../../src/bench/proxy-scenario';
import { PROGRAMS, programSource } from '../../src/images/programs';

function run(argv: string[], input?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(argv[0], argv.slice(1));
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
    p.stdin.end(input ?? '');
  });
}

const listen = (srv: net.Server) =>
  new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)));

describe('connect client (images/bench/connect-client.py)', () => {
  it('times each connect after the warm-up: exactly COUNT samples, every connect reached the server', async () => {
    let accepted = 0;
    const srv = net.createServer((c) => {
      accepted++;
      c.on('error', () => undefined); // closed with RST by the client
    });
    const port = await listen(srv);
    const r = await run(['python3', PROGRAMS.connectClient, '7', `127.0.0.1:${port}`]);
    await new Promise((res) => setTimeout(res, 100));
    srv.close();
    expect(r.code).toBe(0);
    expect(parseConnectTimes(r.out, 7)).toHaveLength(7);
    expect(accepted).toBe(50 + 7);
  });
  it('fails on a closed port (no sample is made up)', async () => {
    const srv = net.createServer();
    const port = await listen(srv);
    await new Promise((res) => srv.close(res));
    const r = await run(['python3', PROGRAMS.connectClient, '3', `127.0.0.1:${port}`]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/ConnectionRefusedError/);
  });
});

describe('edge load (images/bench/edge-load.py)', () => {
  it('counts answered requests with their latencies and failed ones as errors', async () => {
    let bad = false;
    const srv = http.createServer((req, res) => {
      res.statusCode = bad ? 503 : 200;
      res.end(req.headers.host ?? '');
    });
    const port = await listen(srv);
    // Fed on stdin, as bench/edge.ts does (docker exec -i ... python3 -).
    const feed = (argv: string[]) => run(argv, programSource('edgeLoad'));
    const ok = JSON.parse((await feed(['python3', '-', '127.0.0.1', String(port), '/hostname', '0.3', '2'])).out);
    bad = true;
    const ko = JSON.parse((await feed(['python3', '-', '127.0.0.1', String(port), '/hostname', '0.3', '2'])).out);
    srv.close();
    expect(ok.n).toBeGreaterThan(0);
    expect(ok.errors).toBe(0);
    expect(ok.latencies).toHaveLength(ok.n);
    expect(ko.n).toBe(0);
    expect(ko.errors).toBeGreaterThan(0);
  });
});
