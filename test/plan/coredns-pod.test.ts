import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { spawnSync } from 'child_process';
import { tmpdir } from 'os';
import { join } from 'path';
import execa from 'execa';
import { resolveTopology } from '../../src/topology/resolve';
import { computeEndpoints } from '../../src/proxy/endpoints';
import type { LabModel, PodModel } from '../../src/model/types';
import { LABEL_LAB, LABEL_NODE, LABEL_ROLE } from '../../src/model/types';
import { LabError } from '../../src/errors';
import { applySerial, dnsDir, dnsZoneFiles, renderSerialSwap, SERIAL_TOKEN } from '../../src/plan/dns-pod';
import { containerPodSpec, LABEL_POD } from '../../src/plan/container-pod';
import { parseZone } from '../../src/dns/parse-zone';
import {
  coreDnsBinds,
  coreDnsPodDir,
  coreDnsZoneFiles,
  parseCoreDnsObserve,
  renderCoreDnsFiles,
  renderCoreDnsObserve,
  renderCoreDnsSync,
  renderCoreDnsWaitReady,
  renderPodCorefile,
} from '../../src/plan/coredns-pod';
import { COREDNS_IMAGE } from '../../src/topology/dns-server';

const created: unknown[] = [];
jest.mock('../../src/runtime/docker', () => ({
  docker: () => ({
    createContainer: async (opts: unknown) => {
      created.push(opts);
      return { id: 'x', start: async () => undefined, inspect: async () => ({ State: { Pid: 42 } }) };
    },
  }),
}));
// Imported after the mock so createAndStart talks to the fake engine.
import { createAndStart } from '../../src/runtime/containers';

const AG = 'registry.k8s.io/e2e-test-images/agnhost:2.47';
const FILES = '/srv/lab-cdns/coredns';

function model(edge: boolean): LabModel {
  const m = resolveTopology(
    {
      name: 'cdns',
      nodes: [{ name: 'node1' }, { name: 'node2' }],
      ...(edge ? { edge: {} } : {}),
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'a', labels: { app: 'a' } },
          spec: { containers: [{ name: 'w', image: AG, args: ['netexec'] }] },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'a' },
          spec: { selector: { app: 'a' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'h' },
          spec: { clusterIP: 'None', selector: { app: 'a' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
        },
      ],
    } as never,
    { overrides: { dnsServerChoice: 'coredns' } },
  );
  return {
    ...m,
    dnsServer: { requested: 'coredns', server: 'coredns', reason: 'test', image: COREDNS_IMAGE, filesDir: FILES },
  };
}

const withEdge = model(true);
const noEdge = model(false);
const pod = (m: LabModel): PodModel => m.pods.find((p) => p.namespace === 'kube-system')!;
const eps = (m: LabModel) => computeEndpoints(m, () => true);

describe('CoreDNS Corefile', () => {
  it('serves each cluster zone from its file with reload 1s, forwards the rest to the Internet DNS, ready on :8181', () => {
    const c = renderPodCorefile(withEdge);
    for (const z of coreDnsZoneFiles(withEdge)) {
      const origin = z.origin.slice(0, -1);
      expect(c).toContain(
        `${origin}:53 {\n    errors\n    log\n    file /etc/coredns/zones/db.${origin} ${origin} {\n        reload 1s\n    }\n    loadbalance\n    reload\n}`,
      );
    }
    expect(coreDnsZoneFiles(withEdge).map((z) => z.origin)).toEqual([
      'cluster.local.',
      '244.10.in-addr.arpa.',
      '96.10.in-addr.arpa.',
    ]);
    expect(c).toContain(`    forward . ${withEdge.internetDns} {\n        max_concurrent 1000\n    }\n`);
    expect(c).toMatch(
      /\.:53 \{\n    errors\n    log\n    health :8080 \{\n        lameduck 5s\n    \}\n    ready :8181\n/,
    );
  });

  it('without an Internet DNS server refuses other names instead of forwarding anywhere', () => {
    const c = renderPodCorefile(noEdge);
    expect(noEdge.internetDns).toBeUndefined();
    expect(c).not.toContain('forward');
    expect(c).toContain('    template ANY ANY {\n        rcode REFUSED\n    }\n    reload\n    loadbalance\n}');
    expect(c).toContain('ready :8181');
  });
});

describe('CoreDNS pod files', () => {
  const m = withEdge;
  const p = pod(m);

  it("lives in the pod directory under the lab's coredns dir, mounted read-only at /etc/coredns", () => {
    expect(coreDnsPodDir(m, p)).toBe(`${FILES}/${p.name}`);
    expect(coreDnsBinds(m, p)).toEqual([`${FILES}/${p.name}:/etc/coredns:ro`]);
    const { dnsServer, ...bare } = m;
    expect(dnsServer).toBeDefined();
    expect(() => coreDnsPodDir(bare, p)).toThrow(LabError);
  });

  it('renders the Corefile and every zone with the given serial in its SOA', () => {
    const files = renderCoreDnsFiles(m, p, eps(m), 777001);
    expect(Object.keys(files)).toEqual([
      'Corefile',
      'zones/db.cluster.local',
      'zones/db.244.10.in-addr.arpa',
      'zones/db.96.10.in-addr.arpa',
    ]);
    expect(files.Corefile).toBe(renderPodCorefile(m));
    for (const [rel, text] of Object.entries(files).filter(([k]) => k.startsWith('zones/'))) {
      expect(text).not.toContain(String(SERIAL_TOKEN));
      const origin = `${rel.slice('zones/db.'.length)}.`;
      const soa = parseZone(text, { origin }).records.find((r) => r.type === 'SOA');
      expect(soa?.data.split(' ')[2]).toBe('777001');
    }
    const a = m.services.find((s) => s.name === 'a')!;
    expect(files['zones/db.cluster.local']).toContain(`a.default.svc.cluster.local. 30 IN A ${a.clusterIP}`);
  });

  it('only ready endpoints are in the headless/pod records it serves (readiness is respected)', () => {
    const a = m.pods.find((x) => x.name === 'a')!;
    const none = renderCoreDnsFiles(
      m,
      p,
      computeEndpoints(m, () => false),
      5,
    );
    const all = renderCoreDnsFiles(m, p, eps(m), 5);
    expect(all['zones/db.cluster.local']).toContain(`h.default.svc.cluster.local. 30 IN A ${a.ip}`);
    expect(none['zones/db.cluster.local']).not.toContain(`h.default.svc.cluster.local. 30 IN A ${a.ip}`);
  });

  it('the node copy holds the same texts (with the token the serial step replaces) at the paths the dns probe reads', () => {
    const s = renderCoreDnsSync(m, p, eps(m), 1234);
    expect(s).toContain(`exec 9> ${dnsDir(p)}/lock`);
    expect(s).toContain(`cat > ${dnsDir(p)}/Corefile <<'K8S_NETLAB_COREFILE'`);
    for (const f of dnsZoneFiles(m, p)) expect(s).toContain(`cat > ${f.path}.new <<`);
    expect(s).toContain('s=1234');
    expect(s).toMatch(/echo "serial=\$s"\n$/);
    expect(s).not.toMatch(/knot|unbound/);
    // What the heredoc holds, with the serial applied, is what the host file gets.
    const files = renderCoreDnsFiles(m, p, eps(m), 99);
    const body = s
      .split(`cat > ${dnsZoneFiles(m, p)[0].path}.new <<'K8S_NETLAB_ZONE_0'\n`)[1]
      .split('\nK8S_NETLAB_ZONE_0\n')[0];
    expect(applySerial(body + '\n', 99)).toBe(files['zones/db.cluster.local']);
  });

  it('the serial step picks max(candidate, served + 1) and swaps it in, as applySerial does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdns-serial-'));
    const zone = join(dir, 'db.x');
    const text = `x. 5 IN SOA ns.x. h.x. ${SERIAL_TOKEN} 7200 1800 86400 5\nx. 5 IN TXT "${SERIAL_TOKEN}"\n`;
    const run = async (candidate: number) => {
      writeFileSync(`${zone}.new`, text);
      const r = await execa('bash', [
        '-c',
        ['set -eu', ...renderSerialSwap(dir, [zone], candidate), 'echo "serial=$s"'].join('\n'),
      ]);
      return Number(/serial=(\d+)/.exec(r.stdout)![1]);
    };
    expect(await run(100)).toBe(100);
    expect(readFileSync(zone, 'utf8')).toBe(applySerial(text, 100));
    expect(readFileSync(zone, 'utf8')).toContain(` 100 7200 1800 86400 `);
    expect(await run(50)).toBe(101); // candidate not above the served serial: served + 1
    expect(await run(500)).toBe(500);
    expect(readFileSync(join(dir, 'serial'), 'utf8').trim()).toBe('500');
    expect(readFileSync(zone, 'utf8')).toContain(`TXT "${SERIAL_TOKEN}"`); // only the SOA's serial field is replaced
  });

  it('readiness: an SOA query per zone to the pod address, asked from the node', () => {
    const wait = renderCoreDnsWaitReady(m, p, 2).join('\n');
    for (const z of coreDnsZoneFiles(m)) expect(wait).toContain(`soa_ok ${p.ip} ${z.origin}`);
    expect(wait).toContain(`CoreDNS not ready: no authoritative SOA from ${p.ip} for every zone`);
    expect(wait).toContain('not after 2 s');
    expect(wait).not.toContain('8181');
    const out = renderCoreDnsObserve(m, [p]);
    expect(out).toContain(`; then echo ${p.netns} 1; else echo ${p.netns} 0; fi`);
    expect(parseCoreDnsObserve(`${p.netns} 1\nother 0\ngarbage\n`)).toEqual(
      new Map([
        [p.netns, true],
        ['other', false],
      ]),
    );
  });
});

describe('CoreDNS readiness check, run by sh against a fake dig', () => {
  const m = withEdge;
  const p = pod(m);
  const dir = mkdtempSync(join(tmpdir(), 'coredns-ready-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** dig answers each zone as `answers(zone)` says: authoritative SOA, SERVFAIL, or a non-authoritative SOA. */
  function run(answers: (zone: string) => 'aa' | 'servfail' | 'noaa'): string {
    const dig = join(dir, 'dig');
    const byZone = coreDnsZoneFiles(m).map((z) => {
      const kind = answers(z.origin);
      const status = kind === 'servfail' ? 'SERVFAIL' : 'NOERROR';
      const flags = kind === 'aa' ? 'qr aa' : 'qr rd ra';
      const answer =
        kind === 'servfail'
          ? ''
          : `${z.origin}\t\t30\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 7 7200 1800 86400 30`;
      return `  ${z.origin}) printf '%s\\n' ';; ->>HEADER<<- opcode: QUERY, status: ${status}, id: 1' ';; flags: ${flags}; QUERY: 1, ANSWER: 1' '${answer}' ;;`;
    });
    writeFileSync(
      dig,
      [
        '#!/bin/sh',
        'for a in "$@"; do z=$a; case $a in *.) break ;; esac; done',
        'case "$z" in',
        ...byZone,
        '  *) exit 9 ;;',
        'esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const r = spawnSync('sh', ['-c', renderCoreDnsObserve(m, [p])], {
      env: { PATH: `${dir}:/usr/bin:/bin` },
      encoding: 'utf8',
    });
    return r.stdout.trim();
  }
  it('ready when every zone answers its SOA authoritatively', () => {
    expect(run(() => 'aa')).toBe(`${p.netns} 1`);
  });
  it('not ready when one zone is not loaded (SERVFAIL), or answered without aa (not from its zone file)', () => {
    expect(run((z) => (z === '96.10.in-addr.arpa.' ? 'servfail' : 'aa'))).toBe(`${p.netns} 0`);
    expect(run((z) => (z === 'cluster.local.' ? 'noaa' : 'aa'))).toBe(`${p.netns} 0`);
  });
});

describe('CoreDNS container spec', () => {
  const m = withEdge;
  const p = pod(m);
  const spec = containerPodSpec(m, p);

  it('runs coredns/coredns with -conf /etc/coredns/Corefile, its files mounted read-only, labelled as a pod of the lab', () => {
    expect(spec.image).toBe('coredns/coredns:1.11.3');
    expect(spec.cmd).toEqual(['-conf', '/etc/coredns/Corefile']);
    expect(spec.imageCmd).toBe(false);
    expect(spec.entrypoint).toBeUndefined(); // the image's /coredns entrypoint
    expect(spec.binds).toEqual([`${FILES}/${p.name}:/etc/coredns:ro`]);
    expect(spec.lab).toBe('cdns');
    expect(spec.role).toBe('pod');
    expect(spec.labels).toEqual({ [LABEL_NODE]: p.node, [LABEL_POD]: `kube-system/${p.name}` });
    expect(spec.name).toBe(`k8s-netlab-cdns-pod-kube-system-${p.name}`);
  });

  it("least privilege: no added capabilities, Docker's default seccomp/AppArmor, no host PID, no sysctls", () => {
    expect(spec.privileges).toEqual({ capDrop: [], capAdd: [], securityOpt: [] });
    expect(spec.pidHost).toBeUndefined();
    expect(spec.sysctls).toEqual({});
    // dnsPolicy Default (as kubeadm's coredns): the node's resolver, the lab's Internet DNS.
    expect(spec.dns).toEqual({ servers: [m.internetDns], search: [], options: [] });
  });

  it('reaches the engine with network none, the read-only bind and nothing privileged', async () => {
    created.length = 0;
    await createAndStart(spec);
    const o = created[0] as {
      Image: string;
      Cmd: string[];
      Labels: Record<string, string>;
      HostConfig: Record<string, unknown>;
    };
    expect(o.Image).toBe(COREDNS_IMAGE);
    expect(o.Cmd).toEqual(['-conf', '/etc/coredns/Corefile']);
    expect(o.Labels).toMatchObject({ [LABEL_LAB]: 'cdns', [LABEL_ROLE]: 'pod' });
    expect(o.HostConfig.NetworkMode).toBe('none');
    expect(o.HostConfig.CapAdd).toBeUndefined();
    expect(o.HostConfig.CapDrop).toBeUndefined();
    expect(o.HostConfig.SecurityOpt).toBeUndefined();
    expect(o.HostConfig.MaskedPaths).toBeUndefined();
    expect(o.HostConfig.ReadonlyPaths).toBeUndefined();
    expect(o.HostConfig.CgroupnsMode).toBe('private');
    expect(o.HostConfig.Privileged).toBe(false);
    expect(o.HostConfig.PidMode).toBeUndefined();
    expect(o.HostConfig.Binds).toEqual([`${FILES}/${p.name}:/etc/coredns:ro`]);
  });

  it('other container pods get no CoreDNS mount', () => {
    const other = { ...p, containers: [{ ...p.containers[0], image: 'busybox:1.36', args: ['sleep', '1'] }] };
    expect(containerPodSpec(m, other).binds).toBeUndefined();
  });
});
