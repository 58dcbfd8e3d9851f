/**
 * The guide lab end to end, as a user runs it: up, verify (every probe of the lab-engine paths),
 * status, exec, down; the host's network state is unchanged afterwards.
 */
import { GUIDE, hostNetworkState, lab, labContainers, labName } from './helpers';

const NAME = labName('e2e-guide');
jest.setTimeout(600_000);

describe('guide lab', () => {
  let before = '';
  beforeAll(async () => {
    await lab(['down', '--name', NAME]);
    before = await hostNetworkState();
  });
  afterAll(async () => {
    await lab(['down', '--name', NAME]);
  });

  it('comes up from topologies/guide.yaml and verifies every path', async () => {
    const up = await lab(['up', '-t', GUIDE, '--name', NAME]);
    if (up.exitCode !== 0) console.log(up.stdout, up.stderr);
    expect(up.exitCode).toBe(0);
    expect(up.stdout).toMatch(/all \d+ probes passed/);
  });

  it('reports every lab-engine path as observed, in the JSON contract', async () => {
    const v = await lab(['verify', '--name', NAME, '--json']);
    const doc = JSON.parse(v.stdout);
    expect(doc.lab).toBe(NAME);
    const paths = new Set(doc.probes.map((p: { path: string }) => p.path));
    for (const id of [
      'container-to-container',
      'pod-to-pod-same-node',
      'pod-to-pod-cross-node',
      'node-to-pod',
      'pod-ip-identity',
    ]) {
      expect(paths).toContain(id);
    }
    const failed = doc.probes.filter((p: { ok: boolean }) => !p.ok);
    expect(failed).toEqual([]);
    expect(doc.ok).toBe(true);
    expect(v.exitCode).toBe(0);
    for (const p of doc.probes) {
      expect(typeof p.from).toBe('string');
      expect(typeof p.to).toBe('string');
      expect(Object.keys(p.evidence.observed).length).toBeGreaterThan(0);
    }
    const cross = doc.probes.find((p: { path: string }) => p.path === 'pod-to-pod-cross-node');
    expect(cross.evidence.observed.replyTtl).toBe(61);
    expect(cross.evidence.expected.replyTtl).toBe(61);
  });

  it('shows nodes, pods with node and IP, and links in status --json', async () => {
    const s = JSON.parse((await lab(['status', '--name', NAME, '--json'])).stdout);
    expect(s.lab).toBe(NAME);
    expect(s.nodes.length).toBeGreaterThanOrEqual(3);
    for (const n of s.nodes)
      expect(n).toEqual(
        expect.objectContaining({ name: expect.any(String), ip: expect.any(String), podCIDR: expect.any(String) }),
      );
    for (const p of s.pods) {
      expect(p.running).toBe(true);
      const node = s.nodes.find((n: { name: string }) => n.name === p.node);
      expect(p.ip.split('.').slice(0, 3).join('.')).toBe(node.podCIDR.split('.').slice(0, 3).join('.'));
    }
    // One link per node to the VPC router, plus the edge's links (igw, lb, internet).
    expect(s.links.filter((l: { b: string }) => l.b.includes('-vpc:v-'))).toHaveLength(s.nodes.length);
  });

  it('runs commands in a pod namespace, a node and the VPC router', async () => {
    const s = JSON.parse((await lab(['status', '--name', NAME, '--json'])).stdout);
    const pod = s.pods[0];
    const inPod = await lab([
      'exec',
      '--name',
      NAME,
      `${pod.node}/${pod.name}`,
      '--',
      'ip',
      '-4',
      '-o',
      'addr',
      'show',
      'eth0',
    ]);
    expect(inPod.exitCode).toBe(0);
    expect(inPod.stdout).toContain(`inet ${pod.ip}/`);
    const vpc = await lab(['exec', '--name', NAME, 'vpc', '--', 'ip', 'route']);
    for (const n of s.nodes) expect(vpc.stdout).toContain(`${n.podCIDR} via ${n.ip}`);
    const failing = await lab(['exec', '--name', NAME, pod.node, '--', 'false']);
    expect(failing.exitCode).toBe(1);
    const bad = await lab(['exec', '--name', NAME, 'nosuchnode/x', '--', 'true']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('use one of:');
  });

  it('says the running lab matches the file when up is run again', async () => {
    const again = await lab(['up', '-t', GUIDE, '--name', NAME, '--no-verify']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('already running and matches');
  });

  it('removes everything on down, and the host network state is unchanged', async () => {
    const down = await lab(['down', '--name', NAME]);
    expect(down.exitCode).toBe(0);
    expect(await labContainers(NAME)).toEqual([]);
    expect(await hostNetworkState()).toBe(before);
    const again = await lab(['down', '--name', NAME]);
    expect(again.exitCode).toBe(0);
  });
});
