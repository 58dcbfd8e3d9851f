/**
 * pod-unready and dns-down: the rules and commands (pure), and injectFault/clearFaults over a
 * fake engine exec: the commands run in the right node and the fault is recorded (pass), or the
 * exec fails and nothing is recorded (fail).
 */
import type { LabModel } from '../../src/model/types';
import { fixtureModel, netexec } from '../fixtures/model';

const calls: Array<{ container: string; script: string }> = [];
const store = new Map<string, string>();
let failOn: RegExp | undefined;

jest.mock('../../src/runtime/exec', () => {
  const run = async (container: string, script: string) => {
    calls.push({ container, script });
    const failed = !!failOn && failOn.test(script);
    return {
      container,
      command: 'sh',
      exitCode: failed ? 1 : 0,
      stdout: '',
      stderr: failed ? 'curl: (7) refused' : '',
      failed,
    };
  };
  return {
    execScript: run,
    execScriptOk: async (container: string, script: string, what: string) => {
      const r = await run(container, script);
      if (r.failed) throw new Error(`${what} failed: ${r.stderr}`);
      return r;
    },
    exec: async (_c: string, argv: string[]) => {
      const v = store.get(argv[1]);
      return { stdout: v ?? '', stderr: '', exitCode: v ? 0 : 1, failed: !v, container: _c, command: '' };
    },
    execOk: async (_c: string, _argv: string[], opts: { input: string }) => {
      store.set('/etc/k8s-netlab/faults.json', opts.input);
      return { stdout: '', stderr: '', exitCode: 0, failed: false, container: _c, command: '' };
    },
  };
});
/** When set, `docker stop` answers as the engine does for a container that is not running (304). */
let notRunning = false;
jest.mock('../../src/runtime/containers', () => ({
  setContainerRun: async (_name: string, action: string) => {
    if (notRunning && action === 'stop')
      throw Object.assign(new Error('could not stop container: (HTTP code 304) container already stopped'), {
        cause: { statusCode: 304 },
      });
  },
}));

import { checkFault, renderDnsDown, renderPodReadiness } from '../../src/faults/render';
import { clearFaults, injectFault } from '../../src/lab/faults/apply';
import { readFaults } from '../../src/lab/faults/store';
import { InputError } from '../../src/errors';

function model(): LabModel {
  const m = fixtureModel();
  m.pods.push({
    name: 'coredns-a',
    namespace: 'kube-system',
    node: 'node2',
    ip: '10.244.1.9',
    labels: { 'k8s-app': 'kube-dns' },
    netns: 'coredns-a',
    hostVeth: 'vethdns',
    containers: [{ ...netexec('dns'), kind: 'dns', httpPort: 0 }],
  });
  return m;
}

beforeEach(() => {
  calls.length = 0;
  store.clear();
  failOn = undefined;
});

describe('pod-unready and dns-down rules', () => {
  const m = model();
  it("flips every netexec server's readiness at its own address, in the pod's namespace", () => {
    const pod1 = m.pods.find((p) => p.name === 'pod1')!;
    expect(renderPodReadiness(pod1, false).split('\n')).toEqual([
      "ip netns exec pod1 curl -fsS -m 2 -o /dev/null 'http://10.244.0.2:8080/ready?set=false'",
      "ip netns exec pod1 curl -fsS -m 2 -o /dev/null 'http://127.0.0.1:9090/ready?set=false'",
    ]);
  });
  it('drops DNS from the network in the pod, not what comes over lo', () => {
    const dns = m.pods.find((p) => p.name === 'coredns-a')!;
    const r = renderDnsDown('f4', dns);
    expect(r).toMatch(/^ip netns exec coredns-a nft -f - <<'K8S_NETLAB_NFT'\ntable inet k8s_netlab_fault_f4 \{/);
    expect(r).toContain('iifname != "lo" meta l4proto { udp, tcp } th dport 53 drop;');
  });
  it('checks targets: a netexec pod for pod-unready, a DNS pod or all for dns-down (exit 2, TARGET)', () => {
    expect(checkFault(m, { kind: 'pod-unready', target: 'pod3' }, []).nodes[0].name).toBe('node2');
    expect(checkFault(m, { kind: 'dns-down', target: 'all' }, []).pods!.map((p) => p.name)).toEqual(['coredns-a']);
    const err = (f: () => unknown) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return `${(e as { exitCode: number }).exitCode} ${(e as Error).message}`;
      }
    };
    expect(err(() => checkFault(m, { kind: 'pod-unready', target: 'kube-system/coredns-a' }, []))).toMatch(
      /^2 TARGET: pod kube-system\/coredns-a does not run the lab's netexec server/,
    );
    expect(err(() => checkFault(m, { kind: 'dns-down', target: 'default/pod1' }, []))).toMatch(
      /^2 TARGET: pod default\/pod1 is not a cluster DNS pod/,
    );
    expect(err(() => checkFault(m, { kind: 'dns-down', target: 'nope' }, []))).toBe(
      '2 TARGET: no pod kube-system/nope',
    );
  });
});

describe('injectFault / clearFaults on a fake engine', () => {
  it('passes: pod-unready runs in the pod node, is recorded, and clear sets it ready again', async () => {
    const m = model();
    const f = await injectFault(m, { kind: 'pod-unready', target: 'default/pod3' });
    expect(f).toMatchObject({ id: 'f1', kind: 'pod-unready', target: 'default/pod3', pods: ['default/pod3'] });
    expect(calls).toEqual([
      { container: 'k8s-netlab-t-node2', script: expect.stringContaining("'http://10.244.1.2:8080/ready?set=false'") },
    ]);
    expect((await readFaults(m.vpc.container)).active.map((x) => x.id)).toEqual(['f1']);
    const done = await clearFaults(m, { id: 'f1' });
    expect(done[0].note).toBeUndefined();
    expect(calls[1].script).toContain('/ready?set=true');
    expect((await readFaults(m.vpc.container)).active).toEqual([]);
  });
  it('passes: dns-down all puts a table in every DNS pod, clear deletes it', async () => {
    const m = model();
    const f = await injectFault(m, { kind: 'dns-down', target: 'all' });
    expect(f.pods).toEqual(['kube-system/coredns-a']);
    expect(calls[0].container).toBe('k8s-netlab-t-node2');
    await clearFaults(m, { all: true });
    expect(calls[1].script).toBe(
      'ip netns exec coredns-a nft delete table inet k8s_netlab_fault_f1 2>/dev/null || true',
    );
  });
  it('fails: the pod does not answer, the error says so and nothing is recorded', async () => {
    const m = model();
    failOn = /ready\?set=false/;
    await expect(injectFault(m, { kind: 'pod-unready', target: 'default/pod3' })).rejects.toThrow(
      /pod-unready pod3 failed/,
    );
    expect((await readFaults(m.vpc.container)).active).toEqual([]);
  });
});

describe('link-down / proxy-stuck on a fake engine', () => {
  it("passes: link-down takes the node's port on the VPC router down, clear brings it up", async () => {
    const m = model();
    const f = await injectFault(m, { kind: 'link-down', target: 'node2' });
    expect(f).toMatchObject({ kind: 'link-down', target: 'node2' });
    expect(calls).toEqual([{ container: 'k8s-netlab-t-vpc', script: 'ip link set v-node2 down' }]);
    await clearFaults(m, { all: true });
    expect(calls[1]).toEqual({ container: 'k8s-netlab-t-vpc', script: 'ip link set v-node2 up' });
  });
  it('passes: proxy-stuck is a record only (lab watch honours it); a second one on the node is refused', async () => {
    const m = model();
    await injectFault(m, { kind: 'proxy-stuck', target: 'node3' });
    expect(calls).toEqual([]);
    await expect(injectFault(m, { kind: 'proxy-stuck', target: 'node3' })).rejects.toThrow(
      /TARGET: node node3 has a proxy-stuck fault already/,
    );
  });
  it('fails: the router refuses, nothing is recorded', async () => {
    const m = model();
    failOn = /ip link set/;
    await expect(injectFault(m, { kind: 'link-down', target: 'node1' })).rejects.toThrow(/link-down node1 failed/);
    expect((await readFaults(m.vpc.container)).active).toEqual([]);
  });
});

describe('node-stop on a fake engine', () => {
  afterEach(() => {
    notRunning = false;
  });
  it('passes: the links go down in the node first, then the container stops, and the fault is recorded', async () => {
    const m = model();
    const f = await injectFault(m, { kind: 'node-stop', target: 'node2' });
    expect(f).toMatchObject({ kind: 'node-stop', target: 'node2' });
    expect(calls.map((c) => c.container)).toEqual(['k8s-netlab-t-node2']);
    expect(calls[0].script).toMatch(/ip link set "\$l" down/);
  });
  it('fails: a node that is not running is bad input (exit 2, TARGET, how to fix), and nothing is recorded', async () => {
    const m = model();
    notRunning = true;
    const err = await injectFault(m, { kind: 'node-stop', target: 'node2' }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe('TARGET: node node2 is not running: there is nothing to stop');
    expect(err.hint).toMatch(/docker start k8s-netlab-t-node2/);
    expect((await readFaults(m.vpc.container)).active).toEqual([]);
  });
});
