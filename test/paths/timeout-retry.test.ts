/**
 * A request that timed out under load is asked once more and reported as retried; a refusal, an
 * HTTP error or a second time-out still fails. The shell scripts run for real in sh against a stub
 * curl that answers from a script of exit codes (no network).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadTopology } from '../../src/topology/load';
import { podIpIdentity } from '../../src/paths/pod-ip-identity/probes';
import { podToService } from '../../src/paths/pod-to-service/probes';
import { parseNodeToPod, renderNodeToPodScript } from '../../src/paths/node-to-pod/probes';
import { parseReadiness, renderReadinessScript } from '../../src/paths/common/readiness';
import { httpServicePorts } from '../../src/paths/common/service-select';
import { fakeRunner, curlOut } from '../fixtures/fake-runner';

const ROOT = path.resolve(__dirname, '..', '..');
const guide = loadTopology(path.join(ROOT, 'topologies', 'guide.yaml'));

/**
 * Runs a script with `curl` replaced by a stub: per URL, a file of exit codes consumed one per call
 * (the last one repeats); exit 0 prints `ok` and the -w marker unless -o sends the body away.
 */
function runWithStubCurl(script: string, exits: Record<string, number[]>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stub-curl-'));
  for (const [url, codes] of Object.entries(exits))
    fs.writeFileSync(path.join(dir, Buffer.from(url).toString('hex')), codes.join('\n') + '\n');
  const stub = [
    '#!/bin/sh',
    'quiet=; for a in "$@"; do case "$a" in http://*) url="$a";; -o) quiet=1;; esac; done',
    `f=${dir}/$(printf '%s' "$url" | od -An -tx1 | tr -d ' \\n')`,
    'x=$(head -n1 "$f"); if [ $(wc -l < "$f") -gt 1 ]; then sed -i 1d "$f"; fi',
    'if [ "$x" -eq 0 ] && [ -z "$quiet" ]; then printf "ok\\n__CURL__ 200 1.1.1.1:80 2.2.2.2:5000"; fi',
    'exit "$x"',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'curl'), stub, { mode: 0o755 });
  try {
    return execFileSync('sh', ['-c', script], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('readiness: every backend at once, a time-out asked again', () => {
  const targets = ['10.244.0.2', '10.244.0.3', '10.244.0.4', '10.244.0.5'].map((ip) => ({ ip, port: 8080 }));
  const url = (ip: string) => `http://${ip}:8080/healthz`;
  it('ready on 0, ready after one time-out, not ready on a refusal, a 503 or two time-outs', () => {
    const out = runWithStubCurl(renderReadinessScript(targets), {
      [url('10.244.0.2')]: [0],
      [url('10.244.0.3')]: [28, 0],
      [url('10.244.0.4')]: [7],
      [url('10.244.0.5')]: [28, 28],
    });
    const r = parseReadiness(out);
    expect([...r.ready].sort()).toEqual(['10.244.0.2', '10.244.0.3']);
    expect([...r.notReady].sort()).toEqual([
      ['10.244.0.4', 7],
      ['10.244.0.5', 28],
    ]);
    expect(r.retried.sort()).toEqual(['10.244.0.3', '10.244.0.5']);
  });
  it('a 503 (curl -f: exit 22) is not retried', () => {
    const r = parseReadiness(
      runWithStubCurl(renderReadinessScript(targets.slice(0, 1)), { [url('10.244.0.2')]: [22] }),
    );
    expect(r.ready.size).toBe(0);
    expect(r.notReady.get('10.244.0.2')).toBe(22);
    expect(r.retried).toEqual([]);
  });
  it('asks the backends in parallel (each in the background, one wait)', () => {
    const s = renderReadinessScript(targets);
    expect(s.match(/\) &$/gm)).toHaveLength(4);
    expect(s).toMatch(/\nwait; true$/);
  });
  it('asks at most 32 at once: 70 backends in three rounds', () => {
    const many = Array.from({ length: 70 }, (_, i) => ({ ip: `10.244.1.${i + 2}`, port: 8080 }));
    const s = renderReadinessScript(many);
    expect(s.match(/\) &$/gm)).toHaveLength(70);
    expect(s.match(/^wait/gm)).toHaveLength(3);
  });
});

describe('node-to-pod resends a timed-out request once', () => {
  it('a time-out then an answer is an answer marked retried; a refusal is final', () => {
    const script = renderNodeToPodScript([
      { ip: '10.244.0.2', port: 8080 },
      { ip: '10.244.0.3', port: 8080 },
      { ip: '10.244.0.4', port: 8080 },
    ]);
    const out = runWithStubCurl(script, {
      'http://10.244.0.2:8080/clientip': [28, 0],
      'http://10.244.0.3:8080/clientip': [7, 0],
      'http://10.244.0.4:8080/clientip': [28, 28],
    });
    expect(parseNodeToPod(out).map((l) => [l.podIp, l.code, l.curlExit, l.retried])).toEqual([
      ['10.244.0.2', 200, 0, true],
      ['10.244.0.3', 0, 7, false],
      ['10.244.0.4', 0, 28, true],
    ]);
  });
});

describe('spread check with readiness observed in parallel', () => {
  const ref = httpServicePorts(guide)[0];
  const backends = ref.endpoints.map((e) => guide.pods.find((p) => p.ip === e.ip)!);
  const probe = podToService.probes(guide).find((p) => p.name.includes('reaches every ready backend'))!;
  const client = guide.pods.find((p) => probe.from.endsWith(p.name))!;
  const world = (healthz: string) =>
    fakeRunner((t, cmd) => {
      if (cmd.includes('/healthz')) return { stdout: healthz };
      if (cmd.includes('/hostname'))
        return {
          stdout: ['~', ...backends.map((b) => `0 ${b.name} __CURL__ 200 10.96.0.1:80 10.244.2.2:4000`)].join('\n'),
        };
      if (cmd.includes('/clientip')) return { stdout: `${client.ip}:40000\n__CURL__ 200 1.1.1.1:80 2.2.2.2:1` };
      return { exitCode: 1 };
    });
  it('passes when a backend was ready on its second /healthz, and says what was retried', async () => {
    const out = [`~ ${backends[1].ip}`, ...backends.map((b) => b.ip)].join('\n');
    const r = await probe.run(world(out));
    expect(r.reason).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.evidence.observed.healthzRetriedAfterTimeout).toEqual([backends[1].name]);
    expect(r.evidence.observed.requestsRetriedAfterTimeout).toBe(1);
  });
  it('fails when a backend refused /healthz and yet answered through the VIP', async () => {
    const out = [backends[0].ip, `- ${backends[1].ip} 7`].join('\n');
    const r = await probe.run(world(out));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(new RegExp(`outside the ready backends: ${backends[1].name}`));
    expect(r.evidence.observed.notReady).toEqual([`${backends[1].name} (curl exit 7)`]);
  });
});

describe('pod-ip-identity asks again only after a time-out', () => {
  const probe = podIpIdentity.probes(guide)[0];
  const pod = guide.pods.find((p) => probe.from.endsWith(p.name))!;
  const world = (exits: number[]) => {
    let n = 0;
    return fakeRunner((t, cmd) => {
      if (cmd.startsWith('ip -4')) return { stdout: `2: eth0    inet ${pod.ip}/24 brd x scope global eth0` };
      const x = exits[Math.min(n++, exits.length - 1)];
      return x === 0 ? curlOut(`${pod.ip}:40000`) : { exitCode: x, stdout: '\n__CURL__ 000 : :' };
    });
  };
  it('passes after a time-out and an answer, marked retried', async () => {
    const r = await probe.run(world([28, 0]));
    expect(r.reason).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.evidence.observed.retriedAfterTimeout).toBe(true);
  });
  it('fails after two time-outs', async () => {
    const r = await probe.run(world([28, 28]));
    expect(r.ok).toBe(false);
  });
  it('fails on a refusal without asking again', async () => {
    const w = world([7, 0]);
    const r = await probe.run(w);
    expect(r.ok).toBe(false);
    expect(w.calls.filter((c) => c.includes('/clientip'))).toHaveLength(1);
  });
});
