import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadTopology } from '../../src/topology/load';
import { scaleTopology } from '../../src/bench/scale-topology';
import { podIpIdentity } from '../../src/paths/pod-ip-identity/probes';
import { podToService } from '../../src/paths/pod-to-service/probes';
import { nodeToPodTargets, servingPods } from '../../src/paths/common/select';
import { nodeToPod } from '../../src/paths/node-to-pod/probes';
import {
  distinctNeeded,
  httpServicePorts,
  isLargeLab,
  requestsFor,
  sampledRequests,
} from '../../src/paths/common/service-select';
import { fakeRunner } from '../fixtures/fake-runner';
import { sweepCount } from '../../src/observe/sweep';

const ROOT = path.resolve(__dirname, '..', '..');
const guide = loadTopology(path.join(ROOT, 'topologies', 'guide.yaml'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-select-'));
fs.writeFileSync(path.join(dir, 'scale.yaml'), scaleTopology('scale-1000', 1000));
const big = loadTopology(path.join(dir, 'scale.yaml'));

describe('probe selection by coverage above the size threshold', () => {
  it('the checked-in scale-1000 topology is the generator’s', () => {
    expect(fs.readFileSync(path.join(ROOT, 'topologies', 'scale-1000.yaml'), 'utf8')).toBe(
      scaleTopology('scale-1000', 1000),
    );
    expect(big.nodes).toHaveLength(20);
    expect(big.services.filter((s) => s.name.startsWith('app'))).toHaveLength(50);
  });

  it('the guide is small: every probe as before, none sampled, one identity server per node class', () => {
    expect(isLargeLab(guide)).toBe(false);
    expect(podToService.probes(guide).some((p) => p.name.includes('sampled'))).toBe(false);
    const servers = new Set(podIpIdentity.probes(guide).map((p) => p.to));
    expect(servers.size).toBeLessThanOrEqual(2);
  });

  it('1,000 pods: every serving pod answers an identity probe, none more than twice, always across nodes', () => {
    expect(isLargeLab(big)).toBe(true);
    const probes = podIpIdentity.probes(big);
    const serving = servingPods(big);
    const count = new Map<string, number>();
    for (const p of probes) count.set(p.to, (count.get(p.to) ?? 0) + 1);
    expect(count.size).toBe(serving.length);
    expect(Math.max(...count.values())).toBeLessThanOrEqual(2);
    for (const p of probes) expect(p.from.split('/')[0]).not.toBe(p.to.split('/')[0]);
  });

  it('1,000 pods: every Service is probed; the first in full from every node, the rest sampled', () => {
    const names = podToService.probes(big).map((p) => p.name);
    for (const ref of httpServicePorts(big)) expect(names.some((n) => n.includes(`${ref.svc.name}:http (`))).toBe(true);
    expect(names.filter((n) => n.includes('reaches every ready backend'))).toHaveLength(1);
    expect(names.filter((n) => n.includes('default/app0:http') && n.includes('sampled'))).toHaveLength(19);
  });

  it('a sampled check sends 3 requests per backend and needs 15 of 20', () => {
    expect(requestsFor(20)).toBe(238);
    expect(sampledRequests(20)).toBe(60);
    expect(distinctNeeded(20, 60)).toBe(15);
    expect(sampledRequests(2)).toBe(requestsFor(2));
  });
});

describe('a sampled spread check judges what was observed', () => {
  const probe = podToService.probes(big).find((p) => p.name.includes('sampled'))!;
  const ref = httpServicePorts(big).find((r) => probe.to.startsWith(r.svc.clusterIP))!;
  const backends = ref.endpoints.map((e) => big.pods.find((p) => p.ip === e.ip)!);
  const client = big.pods.find((p) => probe.from.endsWith(p.name))!;
  const world = (reached: number) =>
    fakeRunner((t, cmd) => {
      if (cmd.includes('/healthz')) return { stdout: backends.map((b) => b.ip).join('\n') };
      if (cmd.includes('/hostname')) {
        const n = sweepCount(cmd)!;
        const lines = Array.from({ length: n }, (_, i) => backends[i % reached].name);
        return { stdout: lines.map((a) => `0 ${a} __CURL__ 200 10.96.0.1:80 10.244.2.2:4000`).join('\n') };
      }
      if (cmd.includes('/clientip')) return { stdout: `${client.ip}:40000\n__CURL__ 200 1.1.1.1:80 2.2.2.2:1` };
      return { exitCode: 1 };
    });
  it('passes when 60 requests reach 15 or more of the 20 backends', async () => {
    const r = await probe.run(world(15));
    expect(r.reason).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.evidence.observed.requests).toBe(60);
  });
  it('fails when only half the backends answer', async () => {
    const r = await probe.run(world(10));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/reached 10 of 20 ready backends \(expected at least 15\)/);
  });
});

describe('node-to-pod above the threshold', () => {
  it('the guide: every node reaches every serving pod', () => {
    for (const p of nodeToPod.probes(guide)) expect(p.to).toBe('all pods');
  });
  it('1,000 pods: each node reaches its own pods and the next node’s; every pod is reached twice', () => {
    const probes = nodeToPod.probes(big);
    expect(probes).toHaveLength(20);
    const reached = new Map<string, number>();
    for (const n of big.nodes)
      for (const p of nodeToPodTargets(big, n.name, true)) reached.set(p.name, (reached.get(p.name) ?? 0) + 1);
    expect(reached.size).toBe(servingPods(big).length);
    expect([...reached.values()].every((x) => x === 2)).toBe(true);
    expect(probes[0].name).toBe('node1 -> 100 pods');
  });
});
