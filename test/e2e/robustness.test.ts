/**
 * Bad input creates nothing and exits 2; Ctrl-C during up leaves nothing behind after down; one
 * lab up per name. (Two labs side by side and `lab down --all`: down-all.test.ts, run alone.)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import Docker from 'dockerode';
import { GUIDE, LAB_BIN, ROOT, lab, labContainers, labName } from './helpers';

jest.setTimeout(600_000);

function topo(name: string, body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netlab-'));
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, body);
  return file;
}

const BAD: Array<[string, string, RegExp]> = [
  ['unknown field', 'name: bad1\nnodes: [{name: node1}]\nnodez: 1\n', /nodez/],
  ['bad CIDR', 'name: bad2\ncluster: {podCIDR: 10.244.0.0/33}\nnodes: [{name: node1}]\n', /podCIDR/],
  [
    'overlapping CIDRs',
    'name: bad3\ncluster: {podCIDR: 10.0.0.0/8}\nvpc: {subnets: [{name: a, cidr: 10.0.1.0/24}]}\nnodes: [{name: node1}]\n',
    /overlap/i,
  ],
  ['duplicate node', 'name: bad4\nnodes: [{name: node1}, {name: node1}]\n', /node1/],
  [
    'pod on a missing node',
    'name: bad5\nnodes: [{name: node1}]\nobjects:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec: {nodeName: node9, containers: [{name: c, image: registry.k8s.io/e2e-test-images/agnhost:2.47, args: [netexec]}]}\n',
    /node9/,
  ],
];

describe('bad input', () => {
  it.each(BAD)('%s: exit 2, names the field, creates nothing', async (_what, body, field) => {
    const name = labName(body.split('\n')[0].split(': ')[1]);
    const r = await lab(['up', '-t', topo(name, body.replace(/^name: \S+/, `name: ${name}`))]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(field);
    expect(r.stderr).toMatch(/fix|use|remove|choose|did you mean/i);
    expect(await labContainers(name)).toEqual([]);
  });

  it('refuses ipvs on a kernel without IP_VS before creating anything, or comes up where it has it', async () => {
    const r = await lab(['up', '-t', GUIDE, '--name', labName('e2e-ipvs'), '--proxy', 'ipvs', '--no-verify']);
    if (r.exitCode === 2) {
      console.log(`ipvs: ${r.stderr.trim()}`);
      expect(r.stderr).toMatch(/IP_VS|dummy/);
      expect(r.stderr).toMatch(/nftables/);
      expect(await labContainers(labName('e2e-ipvs'))).toEqual([]);
    } else {
      await lab(['down', '--name', labName('e2e-ipvs')]);
      expect(r.exitCode).toBe(0);
    }
  });

  it('rejects an unknown mode naming the valid ones', async () => {
    const r = await lab(['up', '-t', GUIDE, '--name', labName('e2e-badmode'), '--cni', 'flannelz']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/vxlan/);
    expect(await labContainers(labName('e2e-badmode'))).toEqual([]);
  });
});

describe('interrupting up', () => {
  it('leaves nothing behind once down has run', async () => {
    const name = labName('e2e-interrupt');
    const child = execa('node', [LAB_BIN, 'up', '-t', GUIDE, '--name', name, '--no-verify'], {
      cwd: ROOT,
      reject: false,
    });
    // Wait until the first containers exist, then press Ctrl-C.
    for (let i = 0; i < 300 && (await labContainers(name)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const res = await child;
    expect(res.exitCode).not.toBe(0);
    await lab(['down', '--name', name]);
    expect(await labContainers(name)).toEqual([]);
  });
});

/** Every container of a lab, by its label and by its name (a helper without the label would show here). */
async function leftovers(name: string): Promise<string[]> {
  const byLabel = await labContainers(name);
  const all = await new Docker().listContainers({ all: true });
  const byName = all.map((c) => c.Names[0]).filter((n) => n.startsWith(`/k8s-netlab-${name}-`));
  return [...new Set([...byLabel, ...byName])];
}

/**
 * Ctrl-C at ten points of `lab up`: before the kernel preflight's helper finishes, while the
 * containers are created, while the `--pid host` fabric helper runs, during node, edge, pod,
 * ingress and kube-proxy setup (edge and ingress run beside the pods). The up's own clean-up must
 * leave nothing (no `lab down` here).
 */
const INTERRUPT_POINTS: Array<[string, RegExp, number]> = [
  ['during the kernel preflight', /preflight: probing/, 0],
  ['as containers are created', /starting from/, 0],
  ['while containers start', /starting from/, 400],
  ['as the fabric helper is created', /containers: \d+ started/, 0],
  ['while the fabric helper runs', /containers: \d+ started/, 120],
  ['during node and VPC setup', /links: /, 0],
  ['during edge setup, as pods start', /network: /, 0],
  ['while pods start', /network: /, 300],
  ['after the edge setup, as ingress and pods may still run', /edge: /, 0],
  ['during the kube-proxy sync', /pods: \d+ running/, 0],
];

describe('interrupting up at ten points', () => {
  it.each(INTERRUPT_POINTS)('Ctrl-C %s leaves nothing behind', async (_what, after, delay) => {
    const name = labName('e2e-sigint');
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'netlab-cache-'));
    const child = execa('node', [LAB_BIN, 'up', '-t', GUIDE, '--name', name, '--no-verify'], {
      cwd: ROOT,
      reject: false,
      // An empty kernel cache (src/lab/kernel-cache.ts): the preflight runs its helper, to be interrupted.
      env: {
        K8S_NETLAB_DEBUG_EXEC: '1',
        K8S_NETLAB_CACHE_DIR: cache,
      },
    });
    let seen = '';
    let sent = false;
    const fire = () => {
      if (sent || !after.test(seen)) return;
      sent = true;
      setTimeout(() => child.kill('SIGINT'), delay);
    };
    child.stdout!.on('data', (b: Buffer) => {
      seen += b.toString();
      fire();
    });
    const res = await child;
    fs.rmSync(cache, { recursive: true, force: true });
    expect(sent).toBe(true);
    if (res.exitCode === 0) {
      // The signal came after up had finished: nothing to clean up by the up itself.
      await lab(['down', '--name', name]);
    } else {
      expect({ exit: res.exitCode, signal: res.signal, out: res.stdout.slice(-300) }).toEqual({
        exit: 130,
        signal: undefined,
        out: res.stdout.slice(-300),
      });
      expect(res.stdout).toMatch(/SIGINT: removing what was created/);
    }
    expect(await leftovers(name)).toEqual([]);
  });
});

describe('one lab up per name, and a stopped container', () => {
  const name = labName('e2e-race');
  afterAll(async () => {
    await lab(['down', '--name', name]);
  });

  it('two lab up of one name at once: one builds, the other says wait or pick another name (never lab down)', async () => {
    const [a, b] = await Promise.all([
      lab(['up', '-t', GUIDE, '--name', name, '--no-verify']),
      new Promise((r) => setTimeout(r, 300)).then(() => lab(['up', '-t', GUIDE, '--name', name, '--no-verify'])),
    ]);
    const runs = [a, b];
    const winners = runs.filter((r) => r.exitCode === 0);
    const losers = runs.filter((r) => r.exitCode !== 0);
    // The later one may also arrive after the first finished: then it finds the lab up and matching.
    expect(winners.length).toBeGreaterThanOrEqual(1);
    for (const l of losers) {
      expect(l.stderr).toMatch(/another `lab up` of lab .* is in progress/);
      expect(l.stderr).toMatch(/wait for it to finish, or pick another name/);
      expect(l.stderr).not.toMatch(/lab down/);
    }
    expect((await labContainers(name)).length).toBeGreaterThanOrEqual(8);
  });

  it('a stopped node is named with the fix instead of a raw HTTP 409, and lab up repairs the lab', async () => {
    await execa('docker', ['stop', '-t', '1', `k8s-netlab-${name}-node1`]);
    const r = await lab(['exec', '--name', name, 'node1', '--', 'true']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).not.toMatch(/HTTP code 409/);
    expect(r.stderr).toMatch(
      new RegExp(`container k8s-netlab-${name}-node1 of lab ${name} is not running \\(state exited\\)`),
    );
    expect(r.stderr).toMatch(new RegExp(`lab up --name ${name}.*lab down --name ${name}`));
    const up = await lab(['up', '-t', GUIDE, '--name', name, '--no-verify']);
    expect(up.exitCode).toBe(0);
    expect(up.stdout).toMatch(/rebuilding the lab/);
    const ok = await lab(['exec', '--name', name, 'node1', '--', 'true']);
    expect(ok.exitCode).toBe(0);
  });
});
