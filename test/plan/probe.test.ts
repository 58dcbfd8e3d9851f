import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { ProbeSpec } from '../../src/model/probe';
import { parseProbeRuns, renderProbe, renderProbeCheck, renderReadyOnce } from '../../src/plan/probe';
import { pod } from '../proxy/fixtures';
import { netexecBinary } from '../fixtures/netexec-bin';

const p = pod('web-1', 'n1', '10.244.1.5', { app: 'web' });
const timing = {
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
};
const http = (port: number, pathName: string, host = '127.0.0.1'): ProbeSpec => ({
  handler: { httpGet: { path: pathName, port, scheme: 'HTTP', headers: [{ name: 'X-Probe', value: 'lab' }], host } },
  ...timing,
});

/**
 * Stand-ins on PATH: `nsenter --uts=F cmd...` and `ip netns exec NS cmd...` run cmd here (the pod's
 * namespaces are not needed to judge exit codes).
 */
const fakeBin = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-ip-'));
fs.writeFileSync(path.join(fakeBin, 'ip'), '#!/bin/sh\nshift 3\nexec "$@"\n', { mode: 0o755 });
fs.writeFileSync(path.join(fakeBin, 'nsenter'), '#!/bin/sh\nshift 1\nexec "$@"\n', { mode: 0o755 });

function check(spec: ProbeSpec): { ok: string; why: string } {
  const r = spawnSync('bash', ['-c', `${renderProbeCheck(p, spec)}; echo "$ok $why"`], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}` },
  });
  const [ok, why] = r.stdout.trim().split(' ');
  return { ok, why };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('kubelet probes as shell (run for real on loopback)', () => {
  let server: ChildProcess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    server = spawn(netexecBinary(), [`--http-port=${port}`, '--udp-port=0', '--http-bind=127.0.0.1', '--name=web-1'], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 50; i++) {
      if (check(http(port, '/healthz')).ok === '1') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(() => server.kill());

  it('httpGet: 200 passes; 404 and 503 fail, with the status as the reason', () => {
    expect(check(http(port, '/healthz'))).toEqual({ ok: '1', why: 'HTTP-200' });
    expect(check(http(port, '/nope'))).toEqual({ ok: '0', why: 'HTTP-404' });
    spawnSync('curl', ['-s', `http://127.0.0.1:${port}/ready?set=false`]);
    expect(check(http(port, '/readyz'))).toEqual({ ok: '0', why: 'HTTP-503' });
    spawnSync('curl', ['-s', `http://127.0.0.1:${port}/ready?set=true`]);
    expect(check(http(port, '/readyz'))).toEqual({ ok: '1', why: 'HTTP-200' });
  });

  it('httpGet on a closed port fails (connection refused), never passes on an empty answer', async () => {
    expect(check(http(await freePort(), '/healthz'))).toEqual({ ok: '0', why: 'curl-exit-7' });
  });

  it('tcpSocket: open port passes, closed port fails', async () => {
    expect(check({ handler: { tcpSocket: { port, host: '127.0.0.1' } }, ...timing }).ok).toBe('1');
    expect(check({ handler: { tcpSocket: { port: await freePort(), host: '127.0.0.1' } }, ...timing }).ok).toBe('0');
  });

  it('exec: exit 0 passes, non-zero fails, and timeoutSeconds cuts a slow command off (exit 124)', () => {
    expect(check({ handler: { exec: { command: ['true'] } }, ...timing })).toEqual({ ok: '1', why: 'exit-0' });
    expect(check({ handler: { exec: { command: ['sh', '-c', 'exit 3'] } }, ...timing })).toEqual({
      ok: '0',
      why: 'exit-3',
    });
    expect(check({ handler: { exec: { command: ['sleep', '3'] } }, ...timing })).toEqual({ ok: '0', why: 'exit-124' });
  });

  it("httpGet goes to the pod IP from the node by default, with kubelet's User-Agent", () => {
    const s = renderProbeCheck(p, {
      handler: { httpGet: { path: '/readyz', port: 8080, scheme: 'HTTP', headers: [] } },
      ...timing,
    });
    expect(s).toMatch(/ '?http:\/\/10\.244\.1\.5:8080\/readyz'?\)/);
    expect(s).toContain("-H 'User-Agent: kube-probe/1.31'");
    expect(s).not.toContain('netns exec'); // not inside the pod: from the node, as kubelet
    expect(renderProbeCheck(p, { handler: { exec: { command: ['cat', '/tmp/x'] } }, ...timing })).toMatch(
      /timeout 1 nsenter '?--uts=\S+'? '?ip'? '?netns'? '?exec'? '?web-1'? setpriv --bounding-set=-sys_admin -- '?cat'? '?\/tmp\/x'?/,
    );
  });

  it('PROBE lines parse; a container without readiness/startup probes has no one-shot check', () => {
    const c = { ...p.containers[0], probes: { readiness: http(8080, '/') } };
    expect(renderProbe(p, c, 'readiness', c.probes.readiness)).toMatch(
      /echo PROBE '?web-1'? '?c'? readiness \$ok "\$why"$/,
    );
    expect(
      parseProbeRuns(
        'PROBE web-1 c readiness 0 HTTP-503\nnoise\nPROBE web-1 c liveness 1 HTTP-200\nPROBE x y bogus 1 z\n',
      ),
    ).toEqual([
      { netns: 'web-1', container: 'c', kind: 'readiness', ok: false, detail: 'HTTP-503' },
      { netns: 'web-1', container: 'c', kind: 'liveness', ok: true, detail: 'HTTP-200' },
    ]);
    expect(renderReadyOnce(p, p.containers[0])).toBeUndefined();
    expect(renderReadyOnce(p, { ...p.containers[0], probes: { liveness: http(8080, '/') } })).toBeUndefined();
  });
});
