/**
 * Mutation test of the verifier: on one running guide lab, each path is broken in one realistic
 * way; exactly the probes that cross the break must fail, with a reason that names it, the other
 * probes of the paths verified must still pass; after the repair everything is green again.
 * Only the affected paths and one cheap control path are verified per sabotage (`--path`).
 * Prints the matrix (sabotage x path: caught / missed) and requires every cell to be caught.
 */
import * as path from 'path';
import execa from 'execa';
import { GUIDE, lab, labName } from './helpers';
import { eventually } from './eventually';
import { readModel } from '../../src/lab/state';
import { PATHS, pathIds } from '../../src/paths';
import type { LabModel, PodModel } from '../../src/model/types';
import type { ProbeResult } from '../../src/paths/common/types';
import { isDnsPod } from '../../src/plan/dns-pod';

const NAME = labName('e2e-sabotage');
jest.setTimeout(900_000);

let model: LabModel;

/** A script in a lab container (never on the host). */
async function inLab(container: string, script: string): Promise<string> {
  const r = await execa('docker', ['exec', container, 'sh', '-c', script], { reject: false });
  if (r.exitCode !== 0) throw new Error(`${container}: ${script}\n${r.stderr}`);
  return r.stdout;
}
const nodeC = (n: string) => model.nodes.find((x) => x.name === n)!.container;
const podOf = (name: string) => model.pods.find((p) => p.name === name)!;
const dnsPods = () => model.pods.filter(isDnsPod);
const edgeC = (role: 'igw' | 'lb' | 'internet') => model.edge![role].container;
const ingressC = () => model.edge!.ingress.container;
const MARK = '-m comment --comment k8s-netlab-sabotage';

/**
 * The kubelet/proxy/DNS control loop: restarts what died and rewrites rules and zones. Twice: a
 * pod restarted in one pass is observed ready (and put back into the endpoints) in the next.
 */
async function controlLoop(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const r = await lab(['watch', '--name', NAME, '--once']);
    if (r.exitCode !== 0) throw new Error(`lab watch --once: ${r.stderr}`);
    if (i === 0) await new Promise((ok) => setTimeout(ok, 1000));
  }
}

const coreDns = () => model.dnsServer?.server === 'coredns';

/**
 * The DNS server of one pod: stop it. CoreDNS pods are container pods (their container is
 * killed); the offline server is a process of the pod in its node.
 */
async function stopDnsServer(p: PodModel): Promise<void> {
  if (coreDns()) {
    const r = await execa('docker', ['kill', `k8s-netlab-${NAME}-pod-${p.namespace}-${p.name}`], { reject: false });
    if (r.exitCode !== 0) throw new Error(`docker kill of DNS pod ${p.name}: ${r.stderr}`);
    return;
  }
  await inLab(nodeC(p.node), `kill $(cat /run/k8s-netlab/pods/${p.netns}/${p.containers[0].name}.pid)`);
}

/** sed + SOA serial bump of one A record in a zone file, as a shell line. */
function zoneEdit(z: string, name: string, ip: string): string {
  return [
    `sed -i 's/^${name.replace(/\./g, '\\.')} \\([0-9]*\\) IN A .*/${name} \\1 IN A ${ip}/' ${z}`,
    `awk '$4 == "SOA" { $7 = $7 + 1 } { print }' ${z} > ${z}.t && cat ${z}.t > ${z} && rm ${z}.t`,
    `grep -q '^${name.replace(/\./g, '\\.')} .* IN A ${ip}$' ${z}`,
  ].join(' && ');
}

/**
 * One wrong A record in the zone a DNS pod serves: edit the served file and bump the SOA serial.
 * CoreDNS reads its zones from the lab's directory on the host (bind-mounted read-only into its
 * container; the file plugin's `reload 1s` loads the higher serial); the offline server's knot
 * is told to reload.
 */
async function tamperZone(p: PodModel, name: string, ip: string): Promise<void> {
  if (coreDns()) {
    const z = path.join(model.dnsServer!.filesDir!, p.name, 'zones', 'db.cluster.local');
    const r = await execa('sh', ['-c', zoneEdit(z, name, ip)], { reject: false });
    if (r.exitCode !== 0) throw new Error(`editing ${z}: ${r.stderr}`);
    await new Promise((ok) => setTimeout(ok, 2500)); // two reload periods
    return;
  }
  const dir = `/run/k8s-netlab/pods/${p.netns}/dns`;
  const z = `${dir}/zones/db.cluster.local`;
  await inLab(
    nodeC(p.node),
    `${zoneEdit(z, name, ip)} && knotc -s ${dir}/run/knot.sock zone-reload cluster.local. >/dev/null`,
  );
}

const waitFor = (what: string, check: () => Promise<boolean>) => eventually(what, check, { everyMs: 500 });
const lbHealthy = async (entry: string) =>
  (
    JSON.parse(await inLab(edgeC('lb'), 'cat /run/k8s-netlab/edge/lb-state.json')) as {
      services: Record<string, { healthy: string[] }>;
    }
  ).services[entry]?.healthy ?? [];

interface Sabotage {
  /** Path the sabotage breaks. */
  path: string;
  what: string;
  /** Paths verified: the broken one and a cheap control that must stay green. */
  verify: string[];
  /** The probes that cross the break (by name). */
  hits: (p: ProbeResult) => boolean;
  /** What the failing probes' reason must say. */
  reason: RegExp;
  sabotage: () => Promise<void>;
  repair: () => Promise<void>;
}

function sabotages(): Sabotage[] {
  const pod1 = podOf('pod1');
  const pod2 = podOf('pod2');
  const node2 = model.nodes.find((n) => n.name === 'node2')!;
  const web = model.services.find((s) => s.name === 'web' && s.namespace === 'default')!;
  let savedNat = '';
  let route = '';
  return [
    {
      path: 'container-to-container',
      what: "kill pod1's sidecar (the 127.0.0.1:9090 server)",
      verify: ['container-to-container', 'pod-to-pod-same-node'],
      hits: (p) => p.path === 'container-to-container',
      reason: /sidecar|does not answer inside its pod/,
      sabotage: () =>
        inLab(nodeC('node1'), `kill $(cat /run/k8s-netlab/pods/${pod1.netns}/sidecar.pid)`).then(() => undefined),
      repair: controlLoop,
    },
    {
      path: 'pod-to-pod-same-node',
      what: "a bridge firewall on node1's cbr0 drops pod1 -> pod2",
      verify: ['pod-to-pod-same-node', 'pod-to-pod-cross-node'],
      hits: (p) => p.path === 'pod-to-pod-same-node' && p.name === `${pod1.name} -> ${pod2.name} on node1`,
      reason: /0\/3 replies.*3 lost/,
      sabotage: () =>
        inLab(
          nodeC('node1'),
          `nft add table bridge sabotage && nft add chain bridge sabotage drop_pair '{ type filter hook forward priority 0; }' && nft add rule bridge sabotage drop_pair ip saddr ${pod1.ip} ip daddr ${pod2.ip} drop`,
        ).then(() => undefined),
      repair: () => inLab(nodeC('node1'), 'nft delete table bridge sabotage').then(() => undefined),
    },
    {
      path: 'pod-to-pod-cross-node',
      what: "the VPC router loses its route to node2's pod block",
      verify: ['pod-to-pod-cross-node', 'pod-to-pod-same-node'],
      hits: (p) => p.path === 'pod-to-pod-cross-node' && /@node2/.test(p.name),
      reason: /0\/3 replies.*(Unreachable|lost)/,
      sabotage: async () => {
        route = (await inLab(model.vpc.container, `ip route show ${node2.podCIDR}`)).trim();
        await inLab(model.vpc.container, `ip route del ${node2.podCIDR}`);
      },
      repair: () => inLab(model.vpc.container, `ip route add ${route}`).then(() => undefined),
    },
    {
      path: 'pod-mtu',
      what: "node1's eth0 MTU lowered to 1400",
      verify: ['pod-mtu', 'pod-to-pod-cross-node'],
      hits: (p) => p.path === 'pod-mtu' && /@node1/.test(p.name),
      reason: /does not cross nodes|lost silently|mtu/,
      sabotage: () => inLab(nodeC('node1'), 'ip link set eth0 mtu 1400').then(() => undefined),
      // Also forget the path MTU node1's pods learned from its "fragmentation needed" (cached for 10 minutes).
      repair: () =>
        inLab(
          nodeC('node1'),
          `ip link set eth0 mtu ${model.cluster.mtu} && ip route flush cache && for ns in $(ip netns list | cut -d' ' -f1); do ip netns exec $ns ip route flush cache; done`,
        ).then(() => undefined),
    },
    {
      path: 'node-to-pod',
      what: "a host firewall on node2 rejects the node's own connections to pods",
      verify: ['node-to-pod', 'pod-ip-identity'],
      hits: (p) => p.path === 'node-to-pod' && p.from === 'node2',
      reason: /no answer/,
      sabotage: () =>
        inLab(
          nodeC('node2'),
          `iptables -w -I OUTPUT 1 -d ${model.cluster.podCIDR} -p tcp --dport 8080 ${MARK} -j REJECT --reject-with tcp-reset`,
        ).then(() => undefined),
      repair: () =>
        inLab(
          nodeC('node2'),
          `iptables -w -D OUTPUT -d ${model.cluster.podCIDR} -p tcp --dport 8080 ${MARK} -j REJECT --reject-with tcp-reset`,
        ).then(() => undefined),
    },
    {
      path: 'pod-ip-identity',
      what: "node1 masquerades pod1's connections to other pods",
      verify: ['pod-ip-identity', 'container-to-container'],
      hits: (p) => p.path === 'pod-ip-identity' && p.name.startsWith(`${pod1.name} is `),
      reason: /eth0 has .*, server saw /,
      sabotage: () =>
        inLab(
          nodeC('node1'),
          `iptables -w -t nat -I POSTROUTING 1 -s ${pod1.ip} -d ${model.cluster.podCIDR} ${MARK} -j MASQUERADE`,
        ).then(() => undefined),
      repair: () =>
        inLab(
          nodeC('node1'),
          `iptables -w -t nat -D POSTROUTING -s ${pod1.ip} -d ${model.cluster.podCIDR} ${MARK} -j MASQUERADE`,
        ).then(() => undefined),
    },
    {
      path: 'pod-to-service',
      what: "node3's KUBE-SVC chain of default/web:http flushed",
      verify: ['pod-to-service', 'container-to-container'],
      hits: (p) => p.path === 'pod-to-service' && /@node3 -> default\/web:http \(/.test(p.name),
      reason: /requests through .* failed|nothing observed: an answer through/,
      sabotage: async () => {
        savedNat = await inLab(nodeC('node3'), 'iptables-save -t nat');
        const chain = /-A KUBE-SERVICES .*default\/web:http cluster IP.* -j (KUBE-SVC-\S+)/.exec(
          await inLab(nodeC('node3'), 'iptables -w -t nat -S KUBE-SERVICES'),
        )![1];
        await inLab(nodeC('node3'), `iptables -w -t nat -F ${chain}`);
      },
      repair: () =>
        execa('docker', ['exec', '-i', nodeC('node3'), 'iptables-restore', '-w', '-T', 'nat'], {
          input: savedNat + '\n',
        }).then(() => undefined),
    },
    {
      path: 'service-to-pod',
      what: 'node1 stops tracking replies to pod1 (raw NOTRACK): no un-DNAT on the way back',
      verify: ['service-to-pod', 'container-to-container'],
      hits: (p) => p.path === 'service-to-pod' && /@node1 /.test(p.name),
      reason: /request through .* failed|not from the VIP|nothing observed: a SYN-ACK/,
      sabotage: () =>
        inLab(
          nodeC('node1'),
          `iptables -w -t raw -I PREROUTING 1 -d ${pod1.ip} -p tcp --sport 8080 ${MARK} -j NOTRACK`,
        ).then(() => undefined),
      repair: () =>
        inLab(
          nodeC('node1'),
          `iptables -w -t raw -D PREROUTING -d ${pod1.ip} -p tcp --sport 8080 ${MARK} -j NOTRACK`,
        ).then(() => undefined),
    },
    {
      path: 'nodeport',
      what: "node3 loses kube-proxy's masquerade rule (KUBE-POSTROUTING MASQUERADE)",
      verify: ['nodeport', 'container-to-container'],
      hits: (p) => p.path === 'nodeport' && p.to === 'node3',
      reason: /no answer|not masqueraded|nothing observed: the client address/,
      sabotage: () =>
        inLab(
          nodeC('node3'),
          `iptables -w -t nat -D KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`,
        ).then(() => undefined),
      repair: () =>
        inLab(
          nodeC('node3'),
          `iptables -w -t nat -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`,
        ).then(() => undefined),
    },
    {
      path: 'localhost-nodeport',
      what: 'node1 loses route_localnet (127.0.0.1:<nodePort> DNATed, then dropped as a martian)',
      verify: ['localhost-nodeport', 'container-to-container'],
      hits: (p) => p.path === 'localhost-nodeport' && p.from === 'node1',
      reason: /no answer/,
      sabotage: () => inLab(nodeC('node1'), 'sysctl -qw net.ipv4.conf.all.route_localnet=0').then(() => undefined),
      repair: () => inLab(nodeC('node1'), 'sysctl -qw net.ipv4.conf.all.route_localnet=1').then(() => undefined),
    },
    {
      path: 'ingress-to-service',
      what: 'nginx stopped in the ingress',
      verify: ['ingress-to-service', 'outside-to-nodeport'],
      hits: (p) => p.path === 'ingress-to-service',
      reason: /no answer: curl exit 7/,
      sabotage: () =>
        inLab(ingressC(), 'nginx -c /etc/k8s-netlab/ingress/nginx.conf -s stop && sleep 0.5').then(() => undefined),
      repair: () => inLab(ingressC(), 'nginx -e stderr -c /etc/k8s-netlab/ingress/nginx.conf').then(() => undefined),
    },
    {
      path: 'dns',
      what: 'the DNS server stops in one DNS pod',
      verify: ['dns', 'container-to-container'],
      hits: (p) => p.path === 'dns',
      reason: /timed out|no servers could be reached/,
      sabotage: () => stopDnsServer(dnsPods()[0]),
      repair: controlLoop,
    },
    {
      path: 'dns',
      what: 'the DNS server stops in every DNS pod',
      verify: ['dns', 'container-to-container'],
      hits: (p) => p.path === 'dns',
      reason: /nothing observed: any DNS answer/,
      sabotage: async () => {
        for (const p of dnsPods()) await stopDnsServer(p);
      },
      repair: controlLoop,
    },
    {
      path: 'dns',
      what: 'one wrong A record (web.default) in the served zone',
      verify: ['dns', 'container-to-container'],
      hits: (p) => p.path === 'dns',
      reason: new RegExp(
        `web\\.default\\.svc\\.cluster\\.local\\. A \\(\\+(no)?tcp\\): expected NOERROR A ${web.clusterIP.replace(/\./g, '\\.')}, served NOERROR A 10\\.96\\.99\\.99`,
      ),
      sabotage: async () => {
        // In every DNS pod, so that whichever one the VIP picks serves it.
        for (const p of dnsPods()) await tamperZone(p, 'web.default.svc.cluster.local.', '10.96.99.99');
      },
      repair: controlLoop,
    },
    {
      path: 'pod-to-internet',
      what: 'node1 loses the ip-masq-agent MASQUERADE rule',
      verify: ['pod-to-internet', 'outside-to-nodeport'],
      hits: (p) => p.path === 'pod-to-internet' && /@node1/.test(p.name),
      reason: /nothing observed: an (answer from the Internet host|A record)/,
      sabotage: () =>
        inLab(
          nodeC('node1'),
          `iptables -w -t nat -D IP-MASQ-AGENT -m comment --comment "ip-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)" -j MASQUERADE`,
        ).then(() => undefined),
      repair: () =>
        inLab(
          nodeC('node1'),
          `iptables -w -t nat -A IP-MASQ-AGENT -m comment --comment "ip-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)" -j MASQUERADE`,
        ).then(() => undefined),
    },
    {
      path: 'outside-to-nodeport',
      what: "the Internet gateway loses node2's public-IP DNAT",
      verify: ['outside-to-nodeport', 'pod-to-internet'],
      hits: (p) => p.path === 'outside-to-nodeport' && /node2 public/.test(p.name),
      reason: /no answer/,
      sabotage: () =>
        inLab(
          edgeC('igw'),
          `iptables -w -t nat -D IGW-PREROUTING -d ${node2.publicIP}/32 -i inet0 -m comment --comment "node2 public IP" -j DNAT --to-destination ${node2.ip}`,
        ).then(() => undefined),
      repair: () =>
        inLab(
          edgeC('igw'),
          `iptables -w -t nat -A IGW-PREROUTING -d ${node2.publicIP}/32 -i inet0 -m comment --comment "node2 public IP" -j DNAT --to-destination ${node2.ip}`,
        ).then(() => undefined),
    },
    {
      path: 'loadbalancer-to-service',
      what: "the load balancer's health checks of node1 fail (node1 unhealthy at the LB)",
      verify: ['loadbalancer-to-service'],
      hits: (p) =>
        p.path === 'loadbalancer-to-service' && /LB .* \(externalTrafficPolicy (Cluster|Local)\):/.test(p.name),
      reason: /node1 never got a connection|never reached/,
      sabotage: async () => {
        await inLab(edgeC('lb'), `iptables -w -I OUTPUT 1 -d ${model.nodes[0].ip} ${MARK} -j REJECT`);
        await waitFor(
          'node1 unhealthy at the LB',
          async () => !(await lbHealthy('default/web:http')).includes('node1'),
        );
      },
      repair: async () => {
        await inLab(edgeC('lb'), `iptables -w -D OUTPUT -d ${model.nodes[0].ip} ${MARK} -j REJECT`);
        await waitFor('node1 healthy again at the LB', async () =>
          (await lbHealthy('default/web:http')).includes('node1'),
        );
      },
    },
  ];
}

interface Report {
  ok: boolean;
  probes: ProbeResult[];
  notCovered: Array<{ path: string; reason: string }>;
}

async function verify(paths: string[]): Promise<{ exitCode: number; doc: Report }> {
  const r = await lab(['verify', '--name', NAME, '--json', ...paths.flatMap((p) => ['--path', p])]);
  try {
    return { exitCode: r.exitCode, doc: JSON.parse(r.stdout) as Report };
  } catch {
    throw new Error(`lab verify printed no JSON: ${r.stdout}\n${r.stderr}`);
  }
}

interface Cell {
  sabotage: string;
  path: string;
  hit: number;
  caught: boolean;
  /** Probes that failed without crossing the break. */
  collateral: string[];
  /** Expected-failing probes that passed, or failed for another reason. */
  missed: string[];
  greenAfter: boolean;
  /** Sabotage, verify, repair, verify. */
  seconds: number;
}

describe('sabotage matrix: each path broken on a running lab is caught by its probes', () => {
  const cells: Cell[] = [];
  beforeAll(async () => {
    await lab(['down', '--name', NAME]);
    const up = await lab(['up', '-t', GUIDE, '--name', NAME, '--no-verify']);
    if (up.exitCode !== 0) throw new Error(`lab up: ${up.stdout}\n${up.stderr}`);
    model = await readModel(NAME);
  });
  afterAll(async () => {
    const header = ['sabotage', 'path', 'verdict', 'failing probes', 'collateral', 'green after repair', 's'];
    const rows = cells.map((c) => [
      c.sabotage,
      c.path,
      c.caught ? 'caught' : 'MISSED',
      String(c.hit),
      c.collateral.length ? c.collateral.join('; ') : '-',
      c.greenAfter ? 'yes' : 'NO',
      String(c.seconds),
    ]);
    const width = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
    const line = (r: string[]) => r.map((x, i) => x.slice(0, 60).padEnd(width[i])).join(' | ');
    const ids = pathIds();
    const matrix = ids.map(
      (id) =>
        `${id.padEnd(24)} ${
          cells
            .filter((c) => c.path === id)
            .map((c) => (c.caught ? 'caught' : 'MISSED'))
            .join(', ') ||
          (id === 'network-policy' ? '(not in the guide: sabotaged in netpol.test.ts)' : '(no sabotage)')
        }`,
    );
    console.log(['sabotage matrix', line(header), ...rows.map(line), '', 'by path:', ...matrix].join('\n'));
    await lab(['down', '--name', NAME]);
  });

  it('the lab is green before any sabotage, every path covered (--strict passes)', async () => {
    const v = await lab(['verify', '--name', NAME, '--strict']);
    expect(v.stdout).toMatch(/all \d+ probes passed/);
    expect(v.stdout).not.toMatch(/not covered/);
    expect(v.exitCode).toBe(0);
  });

  it('breaks every path in turn: exactly the probes across the break fail, naming it; repaired, all green', async () => {
    const list = sabotages();
    // Every path that applies to the guide lab has at least one sabotage. network-policy applies
    // only to labs with NetworkPolicies; its sabotage (a wrong allow rule) is in netpol.test.ts.
    const applies = PATHS.filter((d) => !d.appliesTo || d.appliesTo(model)).map((d) => d.id);
    expect(applies).not.toContain('network-policy');
    expect([...new Set(list.map((s) => s.path))].sort()).toEqual([...applies].sort());
    for (const s of list) {
      const t0 = Date.now();
      await s.sabotage();
      let cell: Cell;
      try {
        const { doc } = await verify(s.verify);
        const hit = doc.probes.filter(s.hits);
        const missed = hit
          .filter((p) => p.ok || !s.reason.test(p.reason ?? ''))
          .map((p) => `${p.name}: ${p.verdict}${p.reason ? ` (${p.reason.slice(0, 200)})` : ''}`);
        const collateral = doc.probes.filter((p) => !s.hits(p) && !p.ok).map((p) => `${p.name}: ${p.reason}`);
        cell = {
          sabotage: s.what,
          path: s.path,
          hit: hit.length,
          caught: hit.length > 0 && missed.length === 0 && collateral.length === 0,
          collateral,
          missed,
          greenAfter: false,
          seconds: 0,
        };
      } finally {
        await s.repair();
      }
      const after = await verify(s.verify);
      cell.greenAfter = after.doc.ok && after.doc.probes.every((p) => p.verdict === 'pass');
      if (!cell.greenAfter)
        cell.collateral.push(
          ...after.doc.probes.filter((p) => !p.ok).map((p) => `after repair: ${p.name}: ${p.reason}`),
        );
      cell.seconds = Math.round((Date.now() - t0) / 1000);
      cells.push(cell);
    }
    expect(
      cells
        .filter((c) => !c.caught || !c.greenAfter)
        .map((c) => ({ sabotage: c.sabotage, missed: c.missed, collateral: c.collateral })),
    ).toEqual([]);
  });
});
