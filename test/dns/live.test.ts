/**
 * The rendered zones and configs served for real on loopback: knotd (authoritative) behind unbound
 * (the resolver pods use), with dnsmasq as a stand-in for the lab's Internet DNS. Every answer dig
 * gets must match what expect.ts computes from the parsed zone. Skips, saying why, when the
 * binaries are missing (apt-get install knot unbound dnsmasq-base bind9-dnsutils).
 */
import { describeWithTools } from '../tool-gate';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { computeEndpoints } from '../../src/proxy/endpoints';
import { knotReloadArgv, renderKnotConf, renderUnboundConf, zoneFiles } from '../../src/dns/config';
import { Query, compareAnswer, expectedAnswer, parseDigOutput, servedIndex } from './expect';
import { renderReverseZones } from '../../src/dns/reverse';
import { renderClusterZone } from '../../src/dns/zone';
import type { LabModel } from '../../src/model/types';
import { ready, sampleModel } from './fixtures';

function which(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
const missing = ['knotd', 'knotc', 'unbound', 'dnsmasq', 'dig'].filter((b) => !which(b));
const d = describeWithTools(missing.length ? `${missing.join(', ')} not installed` : undefined, 'live DNS tests');

const base = 20000 + Math.floor(Math.random() * 20000);
const PORT = { front: base, knot: base + 1, upstream: base + 2 };

d('knot + unbound serving the rendered zones (loopback only)', () => {
  let dir = '';
  const procs: ChildProcess[] = [];
  const logs: string[] = [];
  const m = sampleModel();
  let zones: ReturnType<typeof zoneFiles>;

  function writeZones(model: LabModel, serial: number, isReady = ready) {
    const eps = computeEndpoints(model, isReady);
    const rev = renderReverseZones(model, eps, { serial });
    zones = zoneFiles(join(dir, 'zones'), ['cluster.local.', ...rev.map((r) => r.origin)]);
    writeFileSync(zones[0].path, renderClusterZone(model, eps, { serial }));
    rev.forEach((r, i) => writeFileSync(zones[i + 1].path, r.text));
    return servedIndex(model, eps, { serial });
  }

  function start(cmd: string, args: string[]) {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (b) => logs.push(`${cmd}: ${b}`));
    p.stderr!.on('data', (b) => logs.push(`${cmd}: ${b}`));
    procs.push(p);
  }

  function dig(q: Query, extra: string[] = [], port = PORT.front): string {
    try {
      return execFileSync(
        'dig',
        [
          `@127.0.0.1`,
          '-p',
          String(port),
          '+noall',
          '+answer',
          '+comments',
          '+time=2',
          '+tries=1',
          ...extra,
          q.name,
          q.type,
        ],
        { encoding: 'utf8' },
      );
    } catch (e) {
      return String((e as { stdout?: string }).stdout ?? e);
    }
  }

  let index: ReturnType<typeof servedIndex>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dnslive-'));
    for (const sub of ['zones', 'run', 'db']) mkdirSync(join(dir, sub));
    index = writeZones(m, 7);
    writeFileSync(
      join(dir, 'knot.conf'),
      renderKnotConf({ zones, listen: `127.0.0.1@${PORT.knot}`, rundir: join(dir, 'run'), storage: join(dir, 'db') }),
    );
    writeFileSync(
      join(dir, 'unbound.conf'),
      renderUnboundConf({
        zones,
        knot: `127.0.0.1@${PORT.knot}`,
        upstream: [`127.0.0.1:${PORT.upstream}`],
        port: PORT.front,
        listenAddress: '127.0.0.1',
      }),
    );
    // Stand-in for the lab's Internet DNS server.
    writeFileSync(
      join(dir, 'upstream.conf'),
      [
        `port=${PORT.upstream}`,
        'listen-address=127.0.0.1',
        'bind-interfaces',
        'no-resolv',
        'no-hosts',
        'keep-in-foreground',
        'user=root',
        'pid-file=',
        'host-record=www.example.com,192.0.2.53',
        '',
      ].join('\n'),
    );
    start('knotd', ['-c', join(dir, 'knot.conf')]);
    start('dnsmasq', ['-C', join(dir, 'upstream.conf')]);
    start('unbound', ['-d', '-c', join(dir, 'unbound.conf')]);
    for (let i = 0; i < 50; i++) {
      if (parseDigOutput(dig({ name: 'web.default.svc.cluster.local', type: 'A' })).status === 'NOERROR') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`DNS servers did not come up:\n${logs.join('')}`);
  });

  afterAll(() => {
    for (const p of procs) if (p.pid && p.exitCode === null) process.kill(p.pid, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const queries: Query[] = [
    { name: 'dns-version.cluster.local', type: 'TXT' },
    { name: 'kubernetes.default.svc.cluster.local', type: 'A' },
    { name: '_https._tcp.kubernetes.default.svc.cluster.local', type: 'SRV' },
    { name: 'web.default.svc.cluster.local', type: 'A' },
    { name: 'WEB.Default.svc.cluster.local', type: 'A' },
    { name: '_http._tcp.web.default.svc.cluster.local', type: 'SRV' },
    { name: 'db.default.svc.cluster.local', type: 'A' },
    { name: 'db-0.db.default.svc.cluster.local', type: 'A' },
    { name: '_mysql._tcp.db.default.svc.cluster.local', type: 'SRV' },
    { name: 'empty.default.svc.cluster.local', type: 'A' },
    { name: '20.0.96.10.in-addr.arpa', type: 'PTR' },
    { name: '5.1.244.10.in-addr.arpa', type: 'PTR' },
    { name: '10-244-2-20.prod.pod.cluster.local', type: 'A' },
    { name: 'svc.cluster.local', type: 'A' },
    { name: 'ext.default.svc.cluster.local', type: 'A' },
  ];

  it.each(queries.map((q) => [`${q.name} ${q.type}`, q] as const))('%s over UDP and TCP matches the zone', (_, q) => {
    const want = expectedAnswer(index, q)!;
    for (const extra of [['+notcp'], ['+tcp']]) {
      const got = parseDigOutput(dig(q, extra));
      expect(compareAnswer(want, got)).toEqual({ ok: true, statusOk: true, missing: [], unexpected: [] });
    }
  });

  it('ExternalName: unbound follows the CNAME upstream and returns the whole chain', () => {
    const got = parseDigOutput(dig({ name: 'ext.default.svc.cluster.local', type: 'A' }));
    expect(got.answers.map((r) => `${r.name} ${r.type} ${r.data}`)).toEqual([
      'ext.default.svc.cluster.local. CNAME www.example.com.',
      'www.example.com. A 192.0.2.53',
    ]);
  });

  it('short names resolve through the pod search path (+search, ndots 5)', () => {
    const got = parseDigOutput(
      dig({ name: 'db', type: 'A' }, ['+search', '+domain=default.svc.cluster.local', '+ndots=5']),
    );
    expect(got.answers.map((r) => r.data).sort()).toEqual(['10.244.1.5', '10.244.2.6', '10.244.2.8']);
  });

  it('a changed zone is answered within 1 s of knotc zone-reload', async () => {
    const m2 = sampleModel();
    index = writeZones(m2, 8, () => true); // db-2 becomes ready
    const t0 = Date.now();
    const argv = knotReloadArgv(zones, join(dir, 'run', 'knot.sock'));
    execFileSync(argv[0], argv.slice(1), { stdio: 'pipe' });
    const q = { name: 'db-2.db.default.svc.cluster.local', type: 'A' };
    let got = parseDigOutput(dig(q));
    while (got.status !== 'NOERROR' && Date.now() - t0 < 3000) {
      await new Promise((r) => setTimeout(r, 50));
      got = parseDigOutput(dig(q));
    }
    const elapsed = Date.now() - t0;
    console.log(`zone change visible after ${elapsed} ms`);
    expect(got.answers.map((r) => r.data)).toEqual(['10.244.1.7']);
    expect(
      compareAnswer(
        expectedAnswer(index, { name: 'db.default.svc.cluster.local', type: 'A' })!,
        parseDigOutput(dig({ name: 'db.default.svc.cluster.local', type: 'A' })),
      ).ok,
    ).toBe(true);
  });
});
