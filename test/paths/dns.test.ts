import { loadTopology } from '../../src/topology/load';
import { computeEndpoints } from '../../src/proxy/endpoints';
import { dnsChecks, dnsClients, dnsPath, renderDigScript, splitDigOutputs } from '../../src/paths/dns/probes';
import { parseConntrackDnat } from '../../src/observe/conntrack';
import { expectedAnswer } from '../../src/paths/dns/oracle';
import * as fs from 'fs';
import * as path from 'path';
import { renderDnsZones } from '../../src/plan/dns-pod';
import type { ProbeRunner } from '../../src/paths/common/types';
import type { ExecResult } from '../../src/runtime/exec';

const m = loadTopology('topologies/guide.yaml');

describe('dns probe: choices', () => {
  it('asks from pods in two namespaces on different nodes', () => {
    const cs = dnsClients(m);
    expect(cs).toHaveLength(2);
    expect(new Set(cs.map((c) => c.namespace)).size).toBe(2);
    expect(cs[0].node).not.toBe(cs[1].node);
  });
  it('covers service A by short name, SRV, headless A and SRV, PTR of the VIP, ExternalName, pod A and hostname A', () => {
    const client = dnsClients(m)[1];
    const checks = dnsChecks(m, client);
    const whats = checks.map((c) => c.what).join('\n');
    for (const re of [
      /^service A /m,
      /^SRV /m,
      /^headless A /m,
      /^headless SRV /m,
      /^PTR of VIP 10\.96\.0\.10/m,
      /^ExternalName CNAME /m,
      /^pod A /m,
      /^hostname A /m,
    ])
      expect(whats).toMatch(re);
    const headless = checks.find((c) => c.what.startsWith('headless A'))!;
    expect(headless).toMatchObject({ ask: 'db', search: true, fqdn: 'db.team-a.svc.cluster.local.' });
    const script = renderDigScript(checks);
    expect(script).toContain('dig +notcp +search +noall +comments +answer +time=2 +tries=2 db A');
    expect(script).toContain('dig +tcp +search +noall +comments +answer +time=2 +tries=2 db A');
  });
  it('parses conntrack DNAT entries of the VIP', () => {
    const out = [
      'udp      17 29 src=10.244.1.5 dst=10.96.0.10 sport=40000 dport=53 src=10.244.0.7 dst=10.244.1.5 sport=53 dport=40000 mark=0 use=1',
      'tcp      6 118 TIME_WAIT src=10.244.1.5 dst=10.96.0.10 sport=40001 dport=53 src=10.244.2.6 dst=10.244.1.5 sport=53 dport=40001 [ASSURED] mark=0 use=1',
      'tcp      6 118 TIME_WAIT src=10.244.1.5 dst=10.96.1.1 sport=1 dport=80 src=10.244.2.6 dst=10.244.1.5 sport=80 dport=1 mark=0 use=1',
    ].join('\n');
    expect(parseConntrackDnat(out, '10.96.0.10')).toEqual([
      { proto: 'udp', from: '10.244.1.5', to: '10.244.0.7' },
      { proto: 'tcp', from: '10.244.1.5', to: '10.244.2.6' },
    ]);
  });
});

/** A fake lab answering from the rendered zones: the probe must pass on right answers and fail on wrong ones. */
function fakeRunner(
  mutate: (answer: string) => string,
  ctIp?: string,
  notReady: string[] = [],
  serveNotReady = false,
  model = m,
): ProbeRunner {
  const dns = model.pods.filter((p) => p.namespace === 'kube-system');
  // The fake server serves the lab's rendered zones: right when they agree with the spec, wrong when tampered.
  const zones = renderDnsZones(
    model,
    dns[0],
    computeEndpoints(model, (p) => serveNotReady || !notReady.includes(p.ip)),
  );
  const res = (stdout: string): ExecResult => ({
    container: 'x',
    command: 'sh',
    exitCode: 0,
    stdout,
    stderr: '',
    failed: false,
  });
  return {
    async run() {
      return res('');
    },
    async sh(t, script) {
      // Readiness, observed live: every endpoint answers /healthz unless the test says otherwise.
      if (script.includes('/healthz'))
        return res(
          [...script.matchAll(/echo '?([0-9.]+)'?(?:;|$)/gm)]
            .map((x) => x[1])
            .filter((ip) => !notReady.includes(ip))
            .join('\n'),
        );
      if (script.startsWith('conntrack')) {
        const ip = t.id && /-s (\S+)/.exec(script)![1];
        const to = ctIp ?? dns[0].ip;
        return res(
          `udp 17 29 src=${ip} dst=10.96.0.10 sport=1 dport=53 src=${to} dst=${ip} sport=53 dport=1\ntcp 6 100 TIME_WAIT src=${ip} dst=10.96.0.10 sport=2 dport=53 src=${to} dst=${ip} sport=53 dport=2\n`,
        );
      }
      // dig: answer each question from the zone records as dig would print them.
      const out: string[] = [];
      for (const line of script.split('\n')) {
        const mk = /^echo '(@@ \d+ \S+)'/.exec(line);
        if (mk) out.push(mk[1]);
        const d = /^dig .* (\S+) (\S+) 2>&1/.exec(line);
        if (!d) continue;
        const client = dnsClients(model).find((c) => t.id.endsWith(c.name))!;
        const check = dnsChecks(model, client).find((c) => c.ask === d[1].replace(/^'|'$/g, '') && c.type === d[2])!;
        const text = Object.values(zones).join('\n');
        const recs = text
          .split('\n')
          .filter(
            (l) => l.startsWith(`${check.fqdn} `) && (l.includes(` IN ${check.type} `) || l.includes(' IN CNAME ')),
          );
        out.push(
          mutate(
            `;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1\n;; flags: qr aa rd; QUERY: 1, ANSWER: ${recs.length}\n;; ANSWER SECTION:\n${recs.join('\n')}`,
          ),
        );
      }
      return res(out.join('\n') + '\n');
    },
  };
}

describe('dns probe: verdicts', () => {
  it('passes when every answer matches the served zones and conntrack shows the DNAT to a DNS pod', async () => {
    const probes = dnsPath.probes(m);
    expect(probes).toHaveLength(2);
    for (const p of probes) {
      const r = await p.run(fakeRunner((a) => a));
      expect(r.reason).toBeUndefined();
      expect(r.ok).toBe(true);
    }
  });
  it('fails on a wrong address, and when the VIP was not DNATed to a DNS pod', async () => {
    const p = dnsPath.probes(m)[0];
    const wrong = await p.run(fakeRunner((a) => a.replace(/IN A 10\.96\.\d+\.\d+/, 'IN A 10.96.9.9')));
    expect(wrong.ok).toBe(false);
    expect(wrong.reason).toMatch(/unexpected .*10\.96\.9\.9/);
    const nodnat = await p.run(fakeRunner((a) => a, '10.244.9.9'));
    expect(nodnat.ok).toBe(false);
    expect(nodnat.reason).toMatch(/DNAT'd to non-DNS addresses: 10\.244\.9\.9/);
  });
  it('splits dig outputs by marker', () => {
    expect([...splitDigOutputs('@@ 0 +tcp\nA\n@@ 1 +notcp\nB\n').entries()]).toEqual([
      ['0 +tcp', 'A\n'],
      ['1 +notcp', 'B\n\n'],
    ]);
  });
});

describe('dns probe: expected answers come from the spec, the model and live readiness', () => {
  const db = m.pods.filter((p) => p.namespace === 'team-a' && p.labels.app === 'db' && !p.hostname);
  it('a not-ready headless backend must be absent from A and SRV: passes when the server drops it', async () => {
    const r = await dnsPath.probes(m)[0].run(fakeRunner((a) => a, undefined, [db[0].ip]));
    expect(r.reason).toBeUndefined();
    expect(r.evidence.observed.notReady).toEqual([`team-a/${db[0].name}`]);
  });
  it('fails when the server still answers with the not-ready backend, naming the name, the expected and the served answer', async () => {
    const r = await dnsPath.probes(m)[0].run(fakeRunner((a) => a, undefined, [db[0].ip], true));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toContain('db.team-a.svc.cluster.local. A (+notcp): expected NOERROR A ');
    expect(r.reason).toMatch(
      new RegExp(
        `served NOERROR .*A ${db[0].ip.replace(/\./g, '\\.')}.*unexpected A ${db[0].ip.replace(/\./g, '\\.')}`,
      ),
    );
    expect(r.reason).toMatch(/_http\._tcp\.db\.team-a\.svc\.cluster\.local\. SRV .*unexpected SRV/);
  });
  it('publishNotReadyAddresses: the not-ready backend stays in A and SRV', () => {
    const pub = {
      ...m,
      services: m.services.map((s) => (s.name === 'db' ? { ...s, publishNotReadyAddresses: true } : s)),
    };
    const notReady = (p: { ip: string }) => p.ip !== db[0].ip;
    const a = expectedAnswer(pub, notReady, 'db.team-a.svc.cluster.local', 'A')!;
    expect(a.answers.map((x) => x.data)).toContain(db[0].ip);
    expect(expectedAnswer(m, notReady, 'db.team-a.svc.cluster.local', 'A')!.answers.map((x) => x.data)).not.toContain(
      db[0].ip,
    );
    const srv = expectedAnswer(pub, notReady, '_http._tcp.db.team-a.svc.cluster.local', 'SRV')!;
    expect(srv.answers).toHaveLength(3);
    expect(srv.answers.map((x) => x.data)).toContain('8080 db-0.db.team-a.svc.cluster.local.');
  });
  it('no ready endpoint: NXDOMAIN (spec 2.4.1); the kubernetes Service on the first service address', () => {
    expect(expectedAnswer(m, () => false, 'db.team-a.svc.cluster.local.', 'A')).toEqual({
      status: 'NXDOMAIN',
      answers: [],
    });
    expect(expectedAnswer(m, () => true, 'kubernetes.default.svc.cluster.local.', 'A')!.answers).toEqual([
      { type: 'A', data: '10.96.0.1' },
    ]);
    expect(expectedAnswer(m, () => true, 'dns-version.cluster.local.', 'TXT')!.answers).toEqual([
      { type: 'TXT', data: '1.1.0' },
    ]);
  });
  it('one wrong A record in the served zone fails the probe, naming it', async () => {
    const web = m.services.find((s) => s.name === 'web' && s.namespace === 'default')!;
    const r = await dnsPath.probes(m)[0].run(fakeRunner((a) => a.replace(`IN A ${web.clusterIP}`, 'IN A 10.96.7.7')));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toContain(
      `web.default.svc.cluster.local. A (+notcp): expected NOERROR A ${web.clusterIP}, served NOERROR A 10.96.7.7`,
    );
  });
  it('fails when nothing answers at all', async () => {
    const r = await dnsPath.probes(m)[0].run(fakeRunner(() => ';; connection timed out; no servers could be reached'));
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/nothing observed: any DNS answer/);
  });
  it('shares no code with the zone renderer', () => {
    for (const f of ['src/paths/dns/oracle.ts', 'src/paths/dns/probes.ts', 'src/observe/dig.ts']) {
      const text = fs.readFileSync(path.join(__dirname, '../..', f), 'utf8');
      expect(text).not.toMatch(/from '(\.\.\/)+dns\//);
      expect(text).not.toMatch(/proxy\/endpoints/);
    }
  });
});
