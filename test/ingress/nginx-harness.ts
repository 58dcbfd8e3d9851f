/**
 * Runs the real nginx on loopback for the ingress unit tests: `nginx -t` on a rendered config,
 * and a throwaway nginx on 127.0.0.1:<free port> with tiny upstream servers that answer their
 * names. Nothing listens beyond 127.0.0.1; everything lives in a temp directory.
 */
import { spawn, spawnSync, ChildProcess } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as http from 'http';
import * as net from 'net';
import { tmpdir } from 'os';
import { join } from 'path';

export function nginxBinary(): string | undefined {
  for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx']) if (existsSync(p)) return p;
  return undefined;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ingress-test-'));
}

/** `nginx -t` on a config: ok and what nginx printed. */
export function nginxCheck(conf: string, dir: string): { ok: boolean; output: string } {
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  const r = spawnSync(nginxBinary()!, ['-t', '-q', '-e', 'stderr', '-p', dir, '-c', file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Upstreams that answer their name; the X-Forwarded-For they got comes back in a header. */
export class Upstreams {
  private servers = new Map<string, { server: http.Server; port: number }>();
  async add(name: string): Promise<number> {
    const have = this.servers.get(name);
    if (have) return have.port;
    const server = http.createServer((req, res) => {
      res.setHeader('x-seen-xff', String(req.headers['x-forwarded-for'] ?? ''));
      res.setHeader('x-seen-host', String(req.headers.host ?? ''));
      res.end(name);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    this.servers.set(name, { server, port });
    return port;
  }
  port(name: string): number {
    const s = this.servers.get(name);
    if (!s) throw new Error(`no upstream ${name}`);
    return s.port;
  }
  async close(): Promise<void> {
    await Promise.all(
      [...this.servers.values()].map(
        (s) =>
          new Promise<void>((r) => {
            s.server.closeAllConnections?.();
            s.server.close(() => r());
          }),
      ),
    );
  }
}

export interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function request(port: number, host: string, path: string, agent?: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, headers: { host }, agent: agent ?? false, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A running nginx (foreground, killed by stop()). */
export class NginxProcess {
  private proc?: ChildProcess;
  output = '';
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  async start(conf: string): Promise<void> {
    const file = join(this.dir, 'nginx.conf');
    writeFileSync(file, conf);
    this.proc = spawn(nginxBinary()!, ['-e', 'stderr', '-p', this.dir, '-c', file, '-g', 'daemon off;'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (d) => (this.output += d));
    this.proc.stderr!.on('data', (d) => (this.output += d));
    const t0 = Date.now();
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`nginx exited: ${this.output}`);
      const up = await new Promise<boolean>((r) => {
        const s = net.connect(this.port, '127.0.0.1');
        s.on('connect', () => {
          s.destroy();
          r(true);
        });
        s.on('error', () => r(false));
      });
      if (up) return;
      if (Date.now() - t0 > 5000) throw new Error(`nginx did not listen on ${this.port}: ${this.output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Graceful reload with a new config (`nginx -s reload` = SIGHUP to the master). */
  reload(conf: string): void {
    writeFileSync(join(this.dir, 'nginx.conf'), conf);
    this.proc!.kill('SIGHUP');
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGTERM');
    });
  }
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
