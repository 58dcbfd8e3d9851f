/**
 * `lab down` on a lab with frozen nodes: node1 paused by a `node-freeze` fault (the engine says
 * paused), node2 half-frozen (its freezer cgroup FROZEN behind the engine's back, as a freeze the
 * engine never finished leaves it: the engine says running). Down thaws both freezers first, then
 * removes everything, and finishes (the CLI call is bounded: a hang fails the test).
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import { lab, labContainers, labName } from './helpers';
import { freezerFiles } from '../../src/runtime/freezer';

jest.setTimeout(300_000);

const name = labName('down-frozen');
const TOPO = `name: ${name}
nodes: [{name: node1}, {name: node2}]
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: web, labels: {app: web}}
    spec:
      nodeName: node2
      containers:
        - name: web
          image: registry.k8s.io/e2e-test-images/agnhost:2.47
          args: [netexec, --http-port=8080]
`;

/** The freezer state file of a container (cgroup v1 or v2), found on this host. */
async function freezerOf(container: string): Promise<{ file: string; v2: boolean }> {
  const id = (await execa('docker', ['inspect', '-f', '{{.Id}}', container])).stdout.trim();
  for (const f of freezerFiles(id)) if (await fs.stat(f.file).catch(() => undefined)) return f;
  throw new Error(
    `no freezer cgroup for ${container} (${id}) under /sys/fs/cgroup: cannot freeze it behind the engine`,
  );
}

afterAll(async () => {
  await lab(['down', '--name', name]);
});

it('lab down thaws a paused node and a half-frozen node, then removes the lab', async () => {
  const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'netlab-')), 'frozen.yaml');
  await fs.writeFile(file, TOPO);
  expect((await lab(['up', '-t', file, '--name', name, '--no-verify'])).exitCode).toBe(0);
  const node1 = `k8s-netlab-${name}-node1`;
  const node2 = `k8s-netlab-${name}-node2`;
  expect((await lab(['fault', 'inject', 'node-freeze', 'node1', '--name', name])).exitCode).toBe(0);
  const f2 = await freezerOf(node2);
  await fs.writeFile(f2.file, f2.v2 ? '1' : 'FROZEN');
  // Observed frozen: the engine still calls node2 running, but nothing runs in it.
  const st = await execa('docker', ['inspect', '-f', '{{.State.Status}}', node1, node2]);
  expect(st.stdout.split('\n')).toEqual(['paused', 'running']);
  const ex = await execa('docker', ['exec', node2, 'true'], { reject: false, timeout: 10_000 });
  expect(ex.exitCode).not.toBe(0);
  expect((await fs.readFile(f2.file, 'utf8')).trim()).toBe(f2.v2 ? '1' : 'FROZEN');

  const t0 = Date.now();
  const down = await lab(['down', '--name', name], { timeout: 60_000 });
  const ms = Date.now() - t0;
  expect(`${down.exitCode} ${down.stderr}`).toBe('0 ');
  expect(down.stdout).toMatch(new RegExp(`thawed ${node1} \\(its freezer cgroup was FROZEN\\)`));
  expect(down.stdout).toMatch(new RegExp(`thawed ${node2} \\(its freezer cgroup was FROZEN\\)`));
  expect(await labContainers(name)).toEqual([]);
  process.stdout.write(
    `lab down with a paused and a half-frozen node: ${ms} ms (load ${os.loadavg()[0].toFixed(1)})\n`,
  );
});
