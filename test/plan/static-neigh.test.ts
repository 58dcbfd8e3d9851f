/**
 * Static neighbour entries (src/plan/static-neigh.ts): the rendered lines run under sh with a fake
 * `ip` on PATH that records its arguments (and, for -batch, the file's lines), fed the cni-result
 * lines a CNI ADD batch prints.
 */
import { spawnSync } from 'child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { renderStaticNeighbourDelete, renderStaticNeighbours } from '../../src/plan/static-neigh';
import { parseCniResults, renderPodDelete, renderPodsOnNode } from '../../src/plan/pod';
import { fixtureModel } from '../fixtures/model';
import type { LabModel } from '../../src/model/types';

function runWithFakeIp(lines: string[], results: string): { calls: string[]; status: number | null; err: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'static-neigh-'));
  const log = path.join(dir, 'ip.log');
  writeFileSync(
    path.join(dir, 'ip'),
    `#!/bin/sh\necho "ip $*" >> ${log}\nif [ "$1" = -batch ]; then sed 's/^/  batch: /' "$2" >> ${log}; fi\n`,
  );
  chmodSync(path.join(dir, 'ip'), 0o755);
  writeFileSync(path.join(dir, 'out'), results);
  const r = spawnSync('sh', ['-c', ['set -eu', ...lines].join('\n')], {
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, OUT: path.join(dir, 'out') },
    encoding: 'utf8',
  });
  let calls: string[] = [];
  try {
    calls = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    calls = [];
  }
  return { calls, status: r.status, err: r.stderr };
}

const RESULTS = [
  'noise',
  'cni-result pod-a ip=10.244.0.5/24 host=veth0000aaaa mac=0a:00:00:00:00:05 gwmac=0e:00:00:00:00:01',
  'cni-result pod-b ip=10.244.0.6/24 host=veth0000bbbb mac=0a:00:00:00:00:06 gwmac=0e:00:00:00:00:01',
  // An ADD result without the pod's MAC: that pod is left to ARP.
  'cni-result pod-c ip=10.244.0.7/24 host=veth0000cccc mac=- gwmac=0e:00:00:00:00:01',
  '',
].join('\n');

describe('static neighbour entries (pod <-> node, NUD_PERMANENT)', () => {
  it('bridge modes: the pod on cbr0 in the node (one ip -batch), the gateway on eth0 in each pod', () => {
    for (const cni of ['vpc-routes', 'host-gw', 'vxlan'] as const) {
      const m = fixtureModel({ cni });
      const r = runWithFakeIp(renderStaticNeighbours(m, m.nodes[0], '"$OUT"'), RESULTS);
      expect(r.err).toBe('');
      expect(r.status).toBe(0);
      expect(r.calls).toEqual([
        'ip -n pod-a neigh replace 10.244.0.1 lladdr 0e:00:00:00:00:01 dev eth0 nud permanent',
        'ip -n pod-b neigh replace 10.244.0.1 lladdr 0e:00:00:00:00:01 dev eth0 nud permanent',
        expect.stringMatching(/^ip -batch /),
        '  batch: neigh replace 10.244.0.5 lladdr 0a:00:00:00:00:05 dev cbr0 nud permanent',
        '  batch: neigh replace 10.244.0.6 lladdr 0a:00:00:00:00:06 dev cbr0 nud permanent',
      ]);
    }
  });

  it("vpc-native (ptp): the pod's entry on its own host veth, named by the ADD result", () => {
    const m = fixtureModel({ cni: 'vpc-native' });
    const r = runWithFakeIp(renderStaticNeighbours(m, m.nodes[0], '"$OUT"'), RESULTS);
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.includes('batch:'))).toEqual([
      '  batch: neigh replace 10.244.0.5 lladdr 0a:00:00:00:00:05 dev veth0000aaaa nud permanent',
      '  batch: neigh replace 10.244.0.6 lladdr 0a:00:00:00:00:06 dev veth0000bbbb nud permanent',
    ]);
  });

  it('no usable result: no ip -batch at all; a failing ip fails the script', () => {
    const m = fixtureModel();
    expect(runWithFakeIp(renderStaticNeighbours(m, m.nodes[0], '"$OUT"'), 'noise\n').calls).toEqual([]);
    const failing = runWithFakeIp(
      ['ip() { return 2; }', ...renderStaticNeighbours(m, m.nodes[0], '"$OUT"'), 'echo reached'],
      RESULTS,
    );
    expect(failing.status).not.toBe(0);
  });

  it('pod delete drops the node-side entry on cbr0; ptp veths take theirs with them', () => {
    const m = fixtureModel();
    const pod = m.pods[0];
    expect(renderPodDelete(m, pod)).toContain(`ip neigh del ${pod.ip} dev cbr0 2>/dev/null || true`);
    const native: LabModel = fixtureModel({ cni: 'vpc-native' });
    expect(renderStaticNeighbourDelete(native, native.pods[0])).toEqual([]);
    expect(renderPodDelete(native, native.pods[0]).join('\n')).not.toMatch(/neigh del/);
  });

  it("the node's pod script programs them right after the ADD batch, before any container starts", () => {
    const m = fixtureModel();
    const node = m.nodes[0];
    const lines = renderPodsOnNode(m, node);
    const add = lines.findIndex((l) => / ADD --batch > "\$out"/.test(l));
    const neigh = lines.findIndex((l) => l.startsWith('# static neighbours'));
    const start = lines.findIndex((l) => /setsid /.test(l));
    expect(add).toBeGreaterThan(-1);
    expect(lines).toContain('cat "$out"');
    expect(neigh).toBeGreaterThan(add);
    expect(start).toBeGreaterThan(neigh);
  });

  it('parseCniResults reads the extended result line', () => {
    expect(parseCniResults(RESULTS).map((r) => [r.netns, r.ip, r.hostVeth])).toEqual([
      ['pod-a', '10.244.0.5', 'veth0000aaaa'],
      ['pod-b', '10.244.0.6', 'veth0000bbbb'],
      ['pod-c', '10.244.0.7', 'veth0000cccc'],
    ]);
  });
});
