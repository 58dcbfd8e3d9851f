import { parseConntrack, parseSynAck } from '../../src/paths/service-to-pod/probes';
import { parseHttpSweep, parseUdpSweep, renderUdpSweep, tally } from '../../src/observe/sweep';
import {
  clientsPerNode,
  distinctNeeded,
  httpServicePorts,
  requestsFor,
  udpServicePorts,
} from '../../src/paths/common/service-select';
import { podToService } from '../../src/paths/pod-to-service/probes';
import { nodePort } from '../../src/paths/nodeport/probes';
import { loadTopology } from '../../src/topology/load';
import { fakeRunner } from '../fixtures/fake-runner';
import * as path from 'path';

const guide = loadTopology(path.join(__dirname, '../../topologies/guide.yaml'));

describe('observations of service traffic', () => {
  it('reads conntrack entries: original tuple, then reply tuple', () => {
    const [e] = parseConntrack(
      'tcp      6 119 TIME_WAIT src=10.244.2.2 dst=10.96.236.88 sport=51516 dport=80 src=10.244.0.4 dst=10.244.2.2 sport=8080 dport=51516 [ASSURED] mark=0 use=1',
    );
    expect(e.orig).toEqual({ src: '10.244.2.2', dst: '10.96.236.88', sport: 51516, dport: 80 });
    expect(e.reply).toEqual({ src: '10.244.0.4', dst: '10.244.2.2', sport: 8080, dport: 51516 });
  });
  it('reads the SYN-ACK tcpdump saw', () => {
    expect(parseSynAck('12:00:00.1 IP 10.96.0.20.80 > 10.244.0.2.41000: Flags [S.], seq 1, ack 2')).toEqual({
      src: '10.96.0.20:80',
      dst: '10.244.0.2:41000',
    });
    expect(parseSynAck('IP 10.96.0.20.80 > 10.244.0.2.41000: Flags [.], ack 2')).toBeUndefined();
  });
  it('tallies sweeps, failed requests apart', () => {
    const c = (b: string) => `${b} __CURL__ 200 10.96.0.1:80 10.244.0.2:40000`;
    const lines = parseHttpSweep(
      `0 ${c('web-a')}\n0 ${c('web-b')}\n28  __CURL__ 000 : :\n0 ${c('web-a')}\n0  __CURL__ 200 10.96.0.1:80 10.244.0.2:40001\n`,
    );
    expect(lines[0]).toEqual({ exit: 0, code: 200, body: 'web-a', local: '10.244.0.2:40000' });
    // An HTTP 200 with an empty body is no answer.
    expect(tally(lines)).toEqual({ 'web-a': 2, 'web-b': 1, '(failed: exit 28)': 1, '(failed: exit 0, HTTP 200)': 1 });
    expect(tally(parseUdpSweep('0 200 web-a\n1 0 \n'))).toEqual({ 'web-a': 1, '(failed: exit 1)': 1 });
    expect(renderUdpSweep('10.96.0.1', 81, 'hostname', 3)).toContain(
      "python3 - 10.96.0.1 81 hostname 3 <<'K8S_NETLAB_PY'",
    );
  });
  it('samples when backends are many: 80% of the expected distinct backends', () => {
    expect(requestsFor(200)).toBe(300);
    expect(distinctNeeded(2, 20)).toBe(2);
    const need = distinctNeeded(200, 300);
    expect(need).toBe(Math.floor(0.8 * 200 * (1 - Math.pow(199 / 200, 300))));
    expect(need).toBeGreaterThan(120);
  });
  it('sends enough requests to see every backend', () => {
    expect(requestsFor(1)).toBe(10);
    expect(requestsFor(2)).toBe(20);
    // 4 backends: the chance of missing one stays below 1e-4.
    const k = requestsFor(4);
    expect(4 * Math.pow(0.75, k)).toBeLessThan(1e-4);
  });
});

describe('service probe selection on the guide', () => {
  it('finds the HTTP and UDP ports of the guide services with their endpoints', () => {
    const http = httpServicePorts(guide).map((r) => `${r.svc.name}:${r.endpoints.length}`);
    expect(http).toEqual(expect.arrayContaining(['web:2', 'web-sticky:2', 'web-local:2', 'no-backends:0']));
    expect(udpServicePorts(guide).map((r) => r.svc.name)).toEqual(['web']);
  });
  it('picks a non-backend client on every node', () => {
    const ref = httpServicePorts(guide)[0];
    const clients = clientsPerNode(guide, ref);
    expect(clients.map((c) => c.node)).toEqual(['node1', 'node2', 'node3']);
    expect(clients.every((c) => !ref.endpoints.some((e) => e.ip === c.ip))).toBe(true);
  });
  it('makes spread, affinity, local-policy, no-endpoint, hairpin and UDP probes, and NodePort probes per node', () => {
    const names = podToService.probes(guide).map((p) => p.name);
    // Every node's client for the first plain service; one client for each further plain service.
    const spread = names.filter((n) => n.includes('reaches every ready backend'));
    expect(spread.filter((n) => n.includes('default/web:http'))).toHaveLength(3);
    const plain = httpServicePorts(guide).filter(
      (r) => r.endpoints.length && r.svc.sessionAffinity === 'None' && r.svc.internalTrafficPolicy === 'Cluster',
    );
    expect(spread).toHaveLength(3 + plain.length - 1);
    expect(names.some((n) => n.includes('sessionAffinity'))).toBe(true);
    expect(names.filter((n) => n.includes('internalTrafficPolicy Local'))).toHaveLength(3);
    expect(names.some((n) => n.includes('no endpoints'))).toBe(true);
    expect(names.some((n) => n.startsWith('hairpin'))).toBe(true);
    expect(names.some((n) => n.includes('UDP'))).toBe(true);
    expect(nodePort.probes(guide)).toHaveLength(3);
  });
});

describe('pod-to-service judges what was observed', () => {
  const ref = httpServicePorts(guide)[0];
  const backends = ref.endpoints.map((e) => guide.pods.find((p) => p.ip === e.ip)!);
  const probe = podToService.probes(guide).find((p) => p.name.includes('reaches every ready backend'))!;
  const client = guide.pods.find((p) => probe.from.endsWith(p.name))!;
  const world = (answers: string[], seen: string) =>
    fakeRunner((t, cmd) => {
      if (cmd.includes('/healthz')) return { stdout: backends.map((b) => b.ip).join('\n') };
      if (cmd.includes('/hostname'))
        return { stdout: answers.map((a) => `0 ${a} __CURL__ 200 10.96.0.1:80 10.244.2.2:4000`).join('\n') };
      if (cmd.includes('/clientip')) return { stdout: `${seen}:40000\n__CURL__ 200 1.1.1.1:80 2.2.2.2:1` };
      return { exitCode: 1 };
    });
  it('passes when every ready backend answered and the backend saw the pod IP', async () => {
    const r = await probe.run(world([backends[0].name, backends[1].name], client.ip));
    expect(r.ok).toBe(true);
  });
  it('fails when a ready backend never answered', async () => {
    const r = await probe.run(world([backends[0].name], client.ip));
    expect(r.ok).toBe(false);
    expect(r.reason).toContain(backends[1].name);
  });
  it('fails when the backend saw a SNATed client', async () => {
    const r = await probe.run(world([backends[0].name, backends[1].name], '10.0.1.12'));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/not SNATed/);
  });
});
