import * as path from 'path';
import { resolveTarget, targetArgv, userArgv, validTargets } from '../../src/plan/targets';
import { diffModels } from '../../src/topology/diff';
import { checkFeatures } from '../../src/lab/preflight';
import { runProbes, selectProbes } from '../../src/lab/verify';
import { fixtureModel } from '../fixtures/model';
import { fakeRunner } from '../fixtures/fake-runner';
import type { KernelFeatures } from '../../src/runtime/kernel';

const m = fixtureModel();

describe('targets', () => {
  it('resolves nodes, pods and lab containers', () => {
    expect(resolveTarget(m, 'node1')).toEqual({ id: 'node1', container: 'k8s-netlab-t-node1' });
    expect(resolveTarget(m, 'node1/pod1')).toMatchObject({
      id: 'node1/pod1',
      container: 'k8s-netlab-t-node1',
      netns: 'pod1',
    });
    expect(resolveTarget(m, 'node1/default/pod1').id).toBe('node1/pod1');
    expect(resolveTarget(m, 'pod3').id).toBe('node2/pod3');
    expect(resolveTarget(m, 'vpc').container).toBe('k8s-netlab-t-vpc');
    // The pod's UTS namespace (its hostname), then its network namespace.
    expect(targetArgv(resolveTarget(m, 'pod3'), ['ip', 'a'])).toEqual([
      'nsenter',
      '--uts=/run/k8s-netlab/uts/pod3',
      'ip',
      'netns',
      'exec',
      'pod3',
      'ip',
      'a',
    ]);
  });
  it('names the valid targets when one does not exist', () => {
    expect(() => resolveTarget(m, 'node2/pod1')).toThrow(/no target "node2\/pod1"/);
    try {
      resolveTarget(m, 'nope');
    } catch (e) {
      expect((e as { hint: string }).hint).toContain('node1/pod1');
      expect((e as { exitCode: number }).exitCode).toBe(2);
    }
    expect(validTargets(m)).toContain('vpc');
  });
});

describe('diff between running lab and file', () => {
  it('is empty for the same model and names each difference otherwise', () => {
    expect(diffModels(m, fixtureModel())).toEqual([]);
    const other = fixtureModel({ proxy: 'nftables' });
    other.pods = other.pods.filter((p) => p.name !== 'pod4');
    const d = diffModels(m, other);
    expect(d).toContain('cluster.proxy: running "iptables", file "nftables"');
    expect(d).toContain('pod default/pod4 is running but not in the file');
  });
  it("compares a Deployment's pods by what they are, not by their random names", async () => {
    const { loadTopology } = await import('../../src/topology/load');
    const guide = path.resolve(__dirname, '../../topologies/guide.yaml');
    const a = loadTopology(guide);
    const b = loadTopology(guide);
    expect(a.pods.filter((p) => p.owner).map((p) => p.name)).not.toEqual(
      b.pods.filter((p) => p.owner).map((p) => p.name),
    );
    expect(diffModels(a, b)).toEqual([]);
    const moved = {
      ...b,
      pods: b.pods.map((p, i) =>
        p.owner === 'web' && i === b.pods.findIndex((x) => x.owner === 'web') ? { ...p, ip: '10.244.0.250' } : p,
      ),
    };
    expect(diffModels(a, moved)).toEqual([
      expect.stringMatching(/^deployment default\/web: running 2 pods: .*, file 2 pods: .*10\.244\.0\.250/),
    ]);
  });
});

describe('kernel preflight', () => {
  const all: KernelFeatures = {
    veth: true,
    bridge: true,
    vxlan: true,
    dummy: true,
    nftables: true,
    iptablesNft: true,
    iptablesLegacy: true,
    ipvs: true,
    conntrack: true,
    details: {},
  } as KernelFeatures;
  it('passes when the kernel has everything', () => {
    expect(() => checkFeatures(fixtureModel({ proxy: 'ipvs' }), all)).not.toThrow();
  });
  it('refuses ipvs without IP_VS and dummy, naming both and suggesting nftables', () => {
    const f = { ...all, ipvs: false, dummy: false };
    expect(() => checkFeatures(fixtureModel({ proxy: 'ipvs' }), f)).toThrow(/IP_VS.*dummy/);
    try {
      checkFeatures(fixtureModel({ proxy: 'ipvs' }), f);
    } catch (e) {
      expect((e as { hint: string }).hint).toMatch(/nftables/);
      expect((e as { exitCode: number }).exitCode).toBe(2);
    }
    expect(() => checkFeatures(fixtureModel({ proxy: 'nftables' }), f)).not.toThrow();
  });
  it('refuses vxlan without VXLAN', () => {
    expect(() => checkFeatures(fixtureModel({ cni: 'vxlan' }), { ...all, vxlan: false })).toThrow(/VXLAN/);
  });
});

describe('verify', () => {
  it('rejects an unknown path naming the valid ones', () => {
    expect(() => selectProbes(m, ['nope'])).toThrow(/unknown path "nope"/);
  });
  it('selects probes of the asked paths only', () => {
    const ps = selectProbes(m, ['node-to-pod']);
    expect(ps.map((p) => p.path)).toEqual(['node-to-pod', 'node-to-pod', 'node-to-pod']);
  });
  it('turns a probe that throws into a failed result', async () => {
    const res = await runProbes(
      [
        {
          path: 'x',
          name: 'boom',
          from: 'a',
          to: 'b',
          run: async () => {
            throw new Error('engine gone');
          },
        },
      ],
      fakeRunner(() => ({})),
    );
    expect(res[0]).toMatchObject({ ok: false, reason: 'probe error: engine gone' });
  });
});

describe('lab exec argv', () => {
  const m = fixtureModel();
  it('drops CAP_SYS_ADMIN in nodes and pods, not in the VPC (which never has it)', () => {
    expect(userArgv(m, resolveTarget(m, 'node1'), ['sh'])).toEqual([
      'setpriv',
      '--bounding-set=-sys_admin',
      '--',
      'sh',
    ]);
    expect(userArgv(m, resolveTarget(m, 'pod3'), ['ip', 'a'])).toEqual([
      'nsenter',
      '--uts=/run/k8s-netlab/uts/pod3',
      'ip',
      'netns',
      'exec',
      'pod3',
      'setpriv',
      '--bounding-set=-sys_admin',
      '--',
      'ip',
      'a',
    ]);
    expect(userArgv(m, resolveTarget(m, 'vpc'), ['ip', 'r'])).toEqual(['ip', 'r']);
  });
});
