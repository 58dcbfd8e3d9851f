/**
 * Every verdict can fail: for each probe one fake lab where the claim holds (pass) and one where
 * the observation it rests on is removed or emptied (fail, with a reason naming what is missing).
 */
import * as path from 'path';
import { loadTopology } from '../../src/topology/load';
import { containerToContainer } from '../../src/paths/container-to-container/probes';
import { nodeToPod } from '../../src/paths/node-to-pod/probes';
import { podIpIdentity } from '../../src/paths/pod-ip-identity/probes';
import { podToService } from '../../src/paths/pod-to-service/probes';
import { serviceToPod } from '../../src/paths/service-to-pod/probes';
import { nodePort } from '../../src/paths/nodeport/probes';
import { loadBalancerToService, outsideToNodePort } from '../../src/paths/loadbalancer/probes';
import { podToInternet } from '../../src/paths/pod-to-internet/probes';
import { Probe, ProbeResult } from '../../src/paths/common/types';
import { Target } from '../../src/plan/targets';
import { Answer, curlFail, curlOut, fakeRunner } from '../fixtures/fake-runner';
import { sweepCount } from '../../src/observe/sweep';
import { deployment, resolve, service, topo } from '../topology/helpers';
import { need, notApplicable, probe, verdictOf } from '../../src/observe/probe';

const guide = loadTopology(path.join(__dirname, '../../topologies/guide.yaml'));
const pod = (name: string) => guide.pods.find((p) => p.name === name)!;
const node = (name: string) => guide.nodes.find((n) => n.name === name)!;
const svc = (name: string) => guide.services.find((s) => s.name === name && s.namespace === 'default')!;
const webPods = guide.pods.filter((p) => p.labels.app === 'web');
const lbState = (entry: string, healthy: string[]) => ({
  stdout: '1\n' + JSON.stringify({ updated: 1, services: { [entry]: { healthy, checks: {} } } }),
});

type World = (t: Target, cmd: string) => Answer;
const run = (p: Probe, w: World) => p.run(fakeRunner(w));
const find = (probes: Probe[], re: RegExp) => {
  const p = probes.find((x) => re.test(x.name));
  if (!p) throw new Error(`no probe matches ${re}: ${probes.map((x) => x.name).join(' | ')}`);
  return p;
};
function passes(r: ProbeResult) {
  expect(r.reason).toBeUndefined();
  expect(r.verdict).toBe('pass');
  expect(r.ok).toBe(true);
}
function fails(r: ProbeResult, why: RegExp) {
  expect(r.verdict).toBe('fail');
  expect(r.ok).toBe(false);
  expect(r.reason).toMatch(why);
}

describe('the probe builder: no observation, no pass', () => {
  const meta = { path: 'x', name: 'x', from: 'a', to: 'b' };
  it('fails with a reason when need() finds nothing, keeping what was observed so far', () => {
    for (const empty of [undefined, null, '', [], {}, NaN]) {
      const r = verdictOf(meta, empty, (o, ev) => {
        ev.observed.before = 'seen';
        need(o, 'the thing');
        return undefined;
      });
      expect(r).toMatchObject({
        verdict: 'fail',
        ok: false,
        reason: 'nothing observed: the thing',
        evidence: { observed: { before: 'seen' } },
      });
    }
  });
  it('refuses a pass that recorded no observation', () => {
    const r = verdictOf(meta, 1, (_o, ev) => {
      ev.expected.x = 1;
      return undefined;
    });
    expect(r).toMatchObject({ verdict: 'fail', reason: 'no observation, no pass: the probe recorded nothing' });
    expect(verdictOf(meta, 1, (_o, ev) => void (ev.observed.x = 1))).toMatchObject({
      verdict: 'pass',
      ok: true,
      evidence: { observed: { x: 1 }, expected: {} },
    });
  });
  it('not applicable is reported with its reason and is not a pass', async () => {
    const r = await notApplicable(meta, 'one backend').run(fakeRunner(() => ({})));
    expect(r).toMatchObject({ verdict: 'not applicable', ok: true, reason: 'one backend' });
    const p = probe(
      meta,
      async () => 1,
      () => ({ notApplicable: 'why' }),
    );
    expect((await p.run(fakeRunner(() => ({})))).verdict).toBe('not applicable');
  });
});

describe('container-to-container', () => {
  const probes = containerToContainer.probes(guide);
  const localhost = find(probes, /reaches web on localhost/);
  const isolation = find(probes, /is not reachable from/);
  const world =
    (over: Partial<Record<'ns' | 'inside' | 'outside', Answer>> = {}): World =>
    (_t, cmd) => {
      if (cmd.includes('readlink')) return over.ns ?? { stdout: 'net:[4026532]\nnet:[4026532]\n' };
      if (cmd.includes('127.0.0.1:8080')) return curlOut('pod1');
      if (cmd.includes('127.0.0.1:9090')) return over.inside ?? curlOut('pod1');
      if (cmd.includes(':9090')) return over.outside ?? curlFail(7);
      return { exitCode: 1 };
    };
  it('localhost: passes when both containers share a namespace and the pod answered', async () =>
    passes(await run(localhost, world())));
  it('localhost: fails when a container namespace was not observed', async () =>
    fails(
      await run(localhost, world({ ns: { stdout: 'net:[4026532]\nmissing\n' } })),
      /nothing observed: the network namespace of sidecar/,
    ));
  it('isolation: passes when inside answers and the other pod is refused', async () =>
    passes(await run(isolation, world())));
  it('isolation: fails when the positive control (inside) got nothing', async () =>
    fails(await run(isolation, world({ inside: curlFail(28) })), /does not answer inside its pod/));
  it('isolation: fails when the other pod timed out instead of being refused', async () =>
    fails(await run(isolation, world({ outside: curlFail(28) })), /expected connection refused/));
});

describe('node-to-pod', () => {
  const probe1 = nodeToPod.probes(guide)[0];
  const world =
    (emptyBodyFor?: string): World =>
    (_t, cmd) => ({
      stdout: [...cmd.matchAll(/http:\/\/([0-9.]+):\d+\/clientip/g)]
        .map(
          ([, ip]) =>
            `@@ ${ip} 10.244.0.1\n${ip === emptyBodyFor ? '' : '10.244.0.1:5000'}\n__CURL__ 200 ${ip}:8080 10.244.0.1:5000\n@@x 0`,
        )
        .join('\n'),
    });
  it('passes when every pod saw the source the node chose', async () => passes(await run(probe1, world())));
  it('fails when a pod answered 200 with an empty body (no client address observed)', async () =>
    fails(await run(probe1, world(pod('pod3').ip)), /pod3: answered with an empty body: no client address observed/));
  it('fails when the script printed nothing', async () =>
    fails(await run(probe1, () => ({ stdout: '' })), /no answer/));
});

describe('pod-ip-identity', () => {
  const p = find(podIpIdentity.probes(guide), /^pod1 is/);
  const world =
    (ci: Answer): World =>
    (_t, cmd) =>
      cmd.startsWith('ip -4') ? { stdout: `2: eth0 inet ${pod('pod1').ip}/24 scope global eth0` } : ci;
  it('passes when eth0 and the server agree', async () =>
    passes(await run(p, world(curlOut(`${pod('pod1').ip}:4000`)))));
  it('fails when the server did not answer /clientip', async () =>
    fails(await run(p, world(curlFail(28))), /nothing observed: the client address .* saw \(curl exit 28/));
});

describe('nodeport', () => {
  const p = nodePort.probes(guide).find((x) => x.to === 'node3')!;
  const world =
    (ci: Answer): World =>
    (_t, cmd) =>
      cmd.includes('/hostname') ? curlOut(webPods[0].name) : ci;
  it('passes when a backend answered and saw a node address (masqueraded)', async () =>
    passes(await run(p, world(curlOut(`${node('node3').ip}:5000`)))));
  it('fails when /clientip failed completely (the masquerade was never observed)', async () =>
    fails(await run(p, world(curlFail(28))), /nothing observed: the client address the backend saw/));
  it('fails when the backend saw the caller (not masqueraded)', async () =>
    fails(await run(p, world(curlOut('10.0.1.1:5000'))), /not masqueraded/));
});

describe('outside-to-nodeport', () => {
  const p = outsideToNodePort.probes(guide)[2];
  const world =
    (ci: Answer): World =>
    (_t, cmd) =>
      cmd.includes('/hostname') ? curlOut(webPods[1].name) : ci;
  it('passes when a backend answered and saw a node address', async () =>
    passes(await run(p, world(curlOut(`${node('node3').ip}:5000`)))));
  it('fails when /clientip got no answer', async () =>
    fails(await run(p, world(curlFail(7))), /nothing observed: the client address/));
});

describe('service-to-pod', () => {
  const p = serviceToPod.probes(guide)[0];
  const client = guide.pods.find((x) => p.from.endsWith(x.name))!;
  const vip = `${svc('web').clusterIP}:80`;
  const world =
    (synack: string, ct = true): World =>
    (_t, cmd) => {
      if (cmd.includes('tcpdump'))
        return {
          stdout: `${webPods[0].name}\n__CURL__ 200 ${vip} ${client.ip}:41000\n__EXIT__ 0\n__SYNACK__ ${synack}`,
        };
      if (cmd.startsWith('conntrack') && ct)
        return {
          stdout: `tcp 6 100 TIME_WAIT src=${client.ip} dst=${svc('web').clusterIP} sport=41000 dport=80 src=${webPods[0].ip} dst=${client.ip} sport=8080 dport=41000 [ASSURED]`,
        };
      return { stdout: '' };
    };
  const synack = `12:00 IP ${svc('web').clusterIP}.80 > ${client.ip}.41000: Flags [S.], seq 1`;
  it('passes when the SYN-ACK came from the VIP and conntrack holds the DNAT', async () =>
    passes(await run(p, world(synack))));
  it('fails when no SYN-ACK was captured', async () => fails(await run(p, world('')), /nothing observed: a SYN-ACK/));
  it('fails when conntrack showed nothing', async () =>
    fails(await run(p, world(synack, false)), /nothing observed: a conntrack entry/));
});

describe('pod-to-service', () => {
  const probes = podToService.probes(guide);
  const web = svc('web');
  const hairpin = find(probes, /^hairpin/);
  const backend = guide.pods.find((x) => hairpin.from.endsWith(x.name))!;
  const bnode = node(backend.node);
  const hairpinWorld =
    (seen: string, cbr0 = bnode.cbr0IP): World =>
    (_t, cmd) => {
      if (cmd.startsWith('i=0')) return { stdout: seen ? `${seen}:40000\n` : 'never\n' };
      if (cmd.startsWith('ip -4 -o addr show dev cbr0'))
        return { stdout: cbr0 ? `5: cbr0    inet ${cbr0}/24 scope global cbr0` : '' };
      return { exitCode: 1 };
    };
  it('hairpin: passes when the backend reached itself and saw the address observed on its cbr0', async () =>
    passes(await run(hairpin, hairpinWorld(bnode.cbr0IP))));
  it('hairpin: fails when the source seen is not the cbr0 address', async () =>
    fails(await run(hairpin, hairpinWorld('10.0.1.99')), /hairpin source 10\.0\.1\.99 is not node\d's cbr0 address/));
  it('hairpin: fails when the cbr0 address was not observed', async () =>
    fails(await run(hairpin, hairpinWorld(bnode.cbr0IP, '')), /nothing observed: the address of cbr0/));
  it('hairpin: fails when it never reached itself', async () =>
    fails(await run(hairpin, hairpinWorld('')), /never reached/));

  const udp = find(probes, /over UDP/);
  const udpClient = guide.pods.find((x) => udp.from.endsWith(x.name))!;
  const udpWorld =
    (names: string): World =>
    (_t, cmd) =>
      cmd.includes(' clientip 1 ') ? { stdout: `0 200 ${udpClient.ip}:5000\n` } : { stdout: names };
  it('UDP: passes when backends answered and saw the client', async () =>
    passes(await run(udp, udpWorld(webPods.map((p) => `0 200 ${p.name}`).join('\n')))));
  it('UDP: fails when no datagram was answered', async () =>
    fails(await run(udp, udpWorld('1 0 \n1 0 \n')), /nothing observed: a UDP answer/));

  const affinity = find(probes, /sessionAffinity/);
  const sweep = (names: string[]) => ({
    stdout: names.map((n) => (n ? `0 ${n} __CURL__ 200 1.1.1.1:80 2.2.2.2:1` : '28  __CURL__ 000 : :')).join('\n'),
  });
  it('affinity: passes when 15 requests stuck to one backend', async () =>
    passes(await run(affinity, () => sweep(Array(15).fill(webPods[0].name)))));
  it('affinity: fails when every request failed (nothing stuck to anything)', async () =>
    fails(await run(affinity, () => sweep(Array(15).fill(''))), /nothing observed: an answer/));
  it('affinity: fails when requests spread', async () =>
    fails(
      await run(affinity, () => sweep([...Array(8).fill(webPods[0].name), ...Array(7).fill(webPods[1].name)])),
      /went to 2 backends/,
    ));

  const noEp = find(probes, /no endpoints/);
  it('no endpoints: passes when refused (REJECT)', async () => passes(await run(noEp, () => curlFail(7))));
  it('no endpoints: fails when dropped (timeout)', async () =>
    fails(await run(noEp, () => curlFail(28)), /expected "connection refused"/));

  const local3 = find(probes, /internalTrafficPolicy Local from node3/);
  const local1 = find(probes, /internalTrafficPolicy Local from node1/);
  const n1Backend = webPods.find((p) => p.node === 'node1')!;
  const itp =
    (vipAnswers: string[], control: Answer): World =>
    (_t, cmd) =>
      sweepCount(cmd) !== undefined ? sweep(vipAnswers) : control;
  it('ITP Local, no local endpoint: passes when the VIP gives nothing and the positive control answers', async () =>
    passes(await run(local3, itp(['', '', ''], curlOut(webPods[0].name)))));
  it('ITP Local, no local endpoint: fails on a dead lab (the positive control got nothing too)', async () =>
    fails(await run(local3, itp(['', '', ''], curlFail(28))), /positive control failed/));
  it('ITP Local, local endpoint: passes when every request is answered locally', async () =>
    passes(await run(local1, itp(Array(10).fill(n1Backend.name), curlOut('x')))));
  it('ITP Local, local endpoint: fails when one success out of k hides failures', async () =>
    fails(await run(local1, itp([n1Backend.name, ...Array(9).fill('')], curlOut('x'))), /9 of 10 requests failed/));

  const spread = find(probes, /^client@node3 -> default\/web:http/);
  const spreadWorld =
    (ci: Answer): World =>
    (_t, cmd) => {
      if (cmd.includes('/healthz')) return { stdout: webPods.map((b) => b.ip).join('\n') };
      if (sweepCount(cmd) !== undefined)
        return sweep(
          Array(20)
            .fill(0)
            .map((_, i) => webPods[i % 2].name),
        );
      return ci;
    };
  it('spread: passes when every ready backend answered and saw the pod IP', async () =>
    passes(await run(spread, spreadWorld(curlOut(`${pod('client').ip}:5000`)))));
  it('spread: fails when /clientip got nothing (the no-SNAT claim unobserved)', async () =>
    fails(await run(spread, spreadWorld(curlFail(28))), /nothing observed: the client address the backend saw/));
  it('spread: fails when every request fails, having given up after 5 in a row', async () =>
    fails(
      await run(spread, (_t, cmd) =>
        cmd.includes('/healthz')
          ? { stdout: webPods.map((b) => b.ip).join('\n') }
          : sweepCount(cmd) !== undefined
            ? sweep(Array(5).fill(''))
            : curlFail(28),
      ),
      /nothing observed: an answer through .* \(5 requests \(gave up after 5 failures in a row, of 20 planned\)\)/,
    ));
  it('spread: fails when no backend is ready', async () =>
    fails(await run(spread, () => ({ stdout: '' })), /nothing observed: a ready backend/));
  it('names the VIP in every probe: web is at its ClusterIP', () => expect(spread.to).toBe(`${web.clusterIP}:80`));
});

describe('a minimal lab (one pod app: web, a Service selecting it) judges what it set out to test', () => {
  const m = resolve(
    topo({
      objects: [
        deployment('web', 1),
        service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }),
      ],
    }),
  );
  const probes = podToService.probes(m);
  it('makes no spread probe from the only backend (it would hairpin), but a hairpin probe', () => {
    expect(probes.filter((p) => /reaches every ready backend/.test(p.name))).toEqual([]);
    expect(probes.some((p) => p.name.startsWith('hairpin'))).toBe(true);
  });
  it('the hairpin probe passes on the cbr0 source', async () => {
    const h = probes.find((p) => p.name.startsWith('hairpin'))!;
    const n = m.nodes.find((x) => x.name === m.pods[0].node)!;
    passes(
      await run(h, (_t, cmd) =>
        cmd.startsWith('i=0') ? { stdout: `${n.cbr0IP}:40000` } : { stdout: `5: cbr0 inet ${n.cbr0IP}/24` },
      ),
    );
  });
  it('an affinity Service with one backend is not applicable, never a pass', async () => {
    const m2 = resolve(
      topo({
        objects: [
          deployment('web', 1),
          service('web', {
            selector: { app: 'web' },
            sessionAffinity: 'ClientIP',
            ports: [{ name: 'http', port: 80, targetPort: 8080 }],
          }),
        ],
      }),
    );
    const pods = m2.pods;
    expect(pods).toHaveLength(1);
    const a = podToService.probes(m2).find((p) => /sessionAffinity/.test(p.name));
    // The only pod is the client (it may hairpin); with one backend stickiness proves nothing.
    expect(a).toBeDefined();
    const r = await run(a!, () => ({ stdout: '' }));
    expect(r.verdict).toBe('not applicable');
    expect(r.reason).toMatch(/has 1 backend/);
  });
});

describe('loadbalancer-to-service', () => {
  const probes = loadBalancerToService.probes(guide);
  const cluster = find(probes, /Cluster\)/);
  const local = find(probes, /Local\): client IP kept/);
  const drop = find(probes, /has no endpoint/);
  const ranges = find(probes, /loadBalancerSourceRanges/);
  const lbWorld =
    (entry: string, lbIP: string, nodes: string[], ci: Answer, conntrack = true): World =>
    (_t, cmd) => {
      if (cmd.includes('lb-state.json')) return lbState(entry, nodes);
      if (sweepCount(cmd) !== undefined) {
        const k = sweepCount(cmd)!;
        return {
          stdout: Array.from(
            { length: k },
            (_, i) => `0 ${webPods[i % 2].name} __CURL__ 200 ${lbIP}:80 198.51.100.10:${50000 + i}`,
          ).join('\n'),
        };
      }
      if (cmd.includes('/clientip')) return ci;
      if (cmd.startsWith('conntrack') && conntrack)
        return {
          stdout: Array.from({ length: 80 }, (_, i) => {
            const n = node(nodes[i % nodes.length]);
            return `tcp 6 100 TIME_WAIT src=198.51.100.10 dst=${lbIP} sport=${50000 + i} dport=80 src=${n.ip} dst=198.51.100.10 sport=30080 dport=${50000 + i} [ASSURED]`;
          }).join('\n'),
        };
      return { stdout: '' };
    };
  const web = svc('web');
  const webLocal = svc('web-lb-local');
  it('Cluster: passes with SNAT to node addresses through every node', async () =>
    passes(
      await run(
        cluster,
        lbWorld('default/web:http', web.loadBalancerIP!, ['node1', 'node2', 'node3'], curlOut(`${node('node2').ip}:1`)),
      ),
    ));
  it('Cluster: fails when the backend saw nothing (the SNAT check on an empty list)', async () =>
    fails(
      await run(cluster, lbWorld('default/web:http', web.loadBalancerIP!, ['node1', 'node2', 'node3'], curlFail(28))),
      /nothing observed: the client address the backend saw/,
    ));
  it('Local: passes with the client IP kept and only backend nodes used', async () =>
    passes(
      await run(
        local,
        lbWorld('default/web-lb-local:http', webLocal.loadBalancerIP!, ['node1', 'node2'], curlOut('198.51.100.10:1')),
      ),
    ));
  it('Local: fails when the LB conntrack showed nothing (which node was used unobserved)', async () =>
    fails(
      await run(
        local,
        lbWorld(
          'default/web-lb-local:http',
          webLocal.loadBalancerIP!,
          ['node1', 'node2'],
          curlOut('198.51.100.10:1'),
          false,
        ),
      ),
      /nothing observed: the load balancer's conntrack entries/,
    ));

  const dropWorld =
    (healthz: Answer, nodePortAnswer: Answer, control: Answer = curlOut(webPods[0].name)): World =>
    (t, cmd) => {
      if (cmd.includes('lb-state.json')) return lbState('default/web-lb-local:http', ['node1', 'node2']);
      if (cmd.includes('/healthz')) return healthz;
      if (cmd.includes(node('node3').publicIP!)) return nodePortAnswer;
      return control;
    };
  const h503 = curlOut('{"service": {"namespace": "default", "name": "web-lb-local"}, "localEndpoints": 0}', 503);
  it('LB local drop: passes on /healthz 503, localEndpoints 0, a timeout, and the positive control answering', async () =>
    passes(await run(drop, dropWorld(h503, curlFail(28)))));
  it('LB local drop: fails when /healthz gave nothing', async () =>
    fails(await run(drop, dropWorld(curlFail(7), curlFail(28))), /nothing observed: an answer from node3/));
  it('LB local drop: fails when the positive control times out too (a dead node looks like a drop)', async () =>
    fails(await run(drop, dropWorld(h503, curlFail(28), curlFail(28))), /positive control failed/));

  const rangesWorld =
    (inRange: Answer, outRange: Answer): World =>
    (_t, cmd) => {
      if (cmd.includes('lb-state.json')) return lbState('default/web-lb-ranges:http', ['node1', 'node2', 'node3']);
      return cmd.includes('--interface 192.0.2.10') ? inRange : outRange;
    };
  it('LB source ranges: passes when the in-range client is served and the other dropped', async () =>
    passes(await run(ranges, rangesWorld(curlOut(webPods[0].name), curlFail(28)))));
  it('LB source ranges: fails when nobody is served (a dead LB "drops" everyone)', async () =>
    fails(
      await run(ranges, rangesWorld(curlFail(28), curlFail(28))),
      /192\.0\.2\.10 is inside the ranges but was not served/,
    ));
  it('LB source ranges: an in-range time-out is asked once more; served then, it passes and says so', async () => {
    let asked = 0;
    const slowFirst: World = (t, cmd) =>
      cmd.includes('--interface 192.0.2.10') && asked++ === 0
        ? curlFail(28)
        : rangesWorld(curlOut(webPods[0].name), curlFail(28))(t, cmd);
    const res = await run(ranges, slowFirst);
    passes(res);
    expect(res.evidence.observed.retriedAfterTimeout).toEqual(['192.0.2.10']);
  });
  it('LB source ranges: refused when asked again is still a failure', async () => {
    let asked = 0;
    const refusedThen: World = (t, cmd) =>
      cmd.includes('--interface 192.0.2.10')
        ? asked++ === 0
          ? curlFail(28)
          : curlFail(7)
        : rangesWorld(curlFail(7), curlFail(28))(t, cmd);
    fails(await run(ranges, refusedThen), /192\.0\.2\.10 is inside the ranges but was not served \(curl exit 7/);
  });
});

describe('pod-to-internet DNS', () => {
  const p = find(podToInternet.probes(guide), /asks the Internet DNS/);
  const world =
    (dig: string): World =>
    (_t, cmd) =>
      cmd.startsWith('dig') ? { stdout: dig } : { stdout: JSON.stringify({ headers: { Host: 'whoami.example.net' } }) };
  it('passes when the name resolves to the Internet host and the fetch carried the Host header', async () =>
    passes(await run(p, world('198.51.100.10\n'))));
  it('fails when dig answered nothing', async () =>
    fails(await run(p, world('')), /nothing observed: an A record for whoami\.example\.net/));
  it('fails when dig printed an error instead of an address', async () =>
    fails(await run(p, world(';; connection timed out; no servers could be reached\n')), /nothing observed/));
});

describe('evidence is split: observed apart from expected', () => {
  it('every probe of the guide reports both parts', async () => {
    const p = nodePort.probes(guide)[0];
    const r = await run(p, (_t, cmd) =>
      cmd.includes('/hostname') ? curlOut(webPods[0].name) : curlOut(`${node('node1').ip}:1`),
    );
    expect(Object.keys(r.evidence).sort()).toEqual(['expected', 'observed']);
    expect(r.evidence.observed.serverSawClient).toBe(node('node1').ip);
    expect([...(r.evidence.expected.backends as string[])].sort()).toEqual(webPods.map((x) => x.name).sort());
  });
});
