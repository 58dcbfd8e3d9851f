/**
 * Changing a running lab's workloads, as a user does it from the CLI: scale, delete a pod, the
 * watch loop (readiness and restarts), apply a changed topology, and what `lab rules` shows.
 * Traffic goes to the Service VIP from the client pod; backends answer /hostname with their
 * pod name, so every answer says which pod served it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import YAML from 'yaml';
import { GUIDE, LAB_BIN, ROOT, lab, labName } from './helpers';
import { eventually } from './eventually';

const NAME = labName('e2e-workloads');
/** The topology to start from and to derive apply files from (the guide unless WL_TOPOLOGY names another). */
const BASE = process.env.WL_TOPOLOGY ?? GUIDE;
jest.setTimeout(600_000);

interface StatusPod {
  name: string;
  namespace: string;
  node: string;
  ip: string;
  running: boolean;
}
interface Status {
  pods: StatusPod[];
  services: Array<{ name: string; clusterIP: string }>;
  containers: Array<{ name: string; container: string }>;
}

async function status(): Promise<Status> {
  const r = await lab(['status', '--name', NAME, '--json']);
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

const webPods = (s: Status) => s.pods.filter((p) => /^web-[0-9a-f]{10}-/.test(p.name));
const nodeContainer = (s: Status, node: string) => s.containers.find((c) => c.name === node)!.container;

async function dockerExec(container: string, cmd: string): Promise<string> {
  const r = await execa('docker', ['exec', container, 'sh', '-c', cmd], { reject: false });
  return r.stdout;
}

/** `n` requests to the web Service's VIP from the client pod; pod name -> answers. */
async function hitVip(s: Status, n = 40): Promise<Map<string, number>> {
  const vip = s.services.find((x) => x.name === 'web')!.clusterIP;
  const r = await lab([
    'exec',
    '--name',
    NAME,
    'node3/client',
    '--',
    'sh',
    '-c',
    `for i in $(seq ${n}); do curl -s -m 1 http://${vip}/hostname || printf FAIL; echo; done`,
  ]);
  const counts = new Map<string, number>();
  for (const l of r.stdout.split('\n').filter(Boolean)) counts.set(l, (counts.get(l) ?? 0) + 1);
  return counts;
}

async function rules(node: string): Promise<string> {
  const r = await lab(['rules', node, '--proxy-only', '--name', NAME]);
  expect(r.exitCode).toBe(0);
  return r.stdout;
}

const tail = (text: string) => text.split('\n').slice(-25).join('\n');

/** A copy of guide.yaml with `edit` applied. */
function guideVariant(edit: (doc: any) => void): string {
  const doc = YAML.parse(fs.readFileSync(BASE, 'utf8'));
  edit(doc);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-workloads-')), 'guide.yaml');
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

describe('workloads of a running lab', () => {
  beforeAll(async () => {
    await lab(['down', '--name', NAME]);
    const up = await lab(['up', '-t', BASE, '--name', NAME, '--no-verify']);
    if (up.exitCode !== 0) console.log(up.stdout, up.stderr);
    expect(up.exitCode).toBe(0);
  });
  afterAll(async () => {
    await lab(['down', '--name', NAME]);
  });

  it('scale web to 4: new pods off node3, all serving through the VIP', async () => {
    const r = await lab(['scale', 'web', '--replicas', '4', '--name', NAME]);
    expect(r.exitCode).toBe(0);
    const s = await status();
    const web = webPods(s);
    expect(web).toHaveLength(4);
    for (const p of web) {
      expect(p.running).toBe(true);
      expect(p.node).not.toBe('node3');
    }
    const answers = await hitVip(s);
    expect([...answers.keys()].sort()).toEqual(web.map((p) => p.name).sort());
  });

  it('scale web to 1: no request reaches a removed pod, and their namespaces are gone', async () => {
    const before = webPods(await status());
    const r = await lab(['scale', 'web', '--replicas', '1', '--name', NAME]);
    expect(r.exitCode).toBe(0);
    const s = await status();
    const web = webPods(s);
    expect(web).toHaveLength(1);
    // The oldest replica stays.
    expect(web[0].name).toBe(before[0].name);
    const answers = await hitVip(s);
    expect([...answers.keys()]).toEqual([web[0].name]);
    for (const gone of before.slice(1)) {
      expect(await dockerExec(nodeContainer(s, gone.node), 'ip netns list')).not.toContain(gone.name);
    }
  });

  it("scale web to 0 and back to 2: new names, and addresses from host-local's cursor, not the freed ones", async () => {
    const before = webPods(await status());
    expect((await lab(['scale', 'web', '--replicas', '0', '--name', NAME])).exitCode).toBe(0);
    expect(webPods(await status())).toEqual([]);
    expect((await lab(['scale', 'web', '--replicas', '2', '--name', NAME])).exitCode).toBe(0);
    const s = await status();
    const after = webPods(s);
    expect(after).toHaveLength(2);
    for (const p of after) {
      expect(p.name).toMatch(/^web-[0-9a-f]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(before.map((b) => b.name)).not.toContain(p.name);
      expect(before.map((b) => b.ip)).not.toContain(p.ip);
      expect(p.running).toBe(true);
    }
    // What host-local recorded on the node: the new pod's address is its last reservation, and the
    // pod's eth0 holds it (observed in the node and in the pod).
    for (const p of after) {
      const node = nodeContainer(s, p.node);
      const last = await dockerExec(node, 'cat /var/lib/cni/networks/kubenet/last_reserved_ip.0');
      const mine = after.filter((x) => x.node === p.node);
      expect(last.trim()).toBe(mine[mine.length - 1].ip);
      expect(await dockerExec(node, `ls /var/lib/cni/networks/kubenet/${p.ip}`)).toContain(p.ip);
      const eth0 = await lab([
        'exec',
        '--name',
        NAME,
        `${p.node}/${p.name}`,
        '--',
        'ip',
        '-4',
        '-o',
        'addr',
        'show',
        'eth0',
      ]);
      expect(eth0.stdout).toContain(`inet ${p.ip}/`);
      expect((await lab(['exec', '--name', NAME, `${p.node}/${p.name}`, '--', 'hostname'])).stdout.trim()).toBe(p.name);
    }
    expect([...(await hitVip(s)).keys()].sort()).toEqual(after.map((p) => p.name).sort());
    // The freed addresses are free in host-local's state too.
    for (const b of before)
      expect(await dockerExec(nodeContainer(s, b.node), `ls /var/lib/cni/networks/kubenet/`)).not.toMatch(
        new RegExp(`^${b.ip.replace(/\./g, '\\.')}$`, 'm'),
      );
    expect((await lab(['scale', 'web', '--replicas', '1', '--name', NAME])).exitCode).toBe(0);
  });

  it('delete pod: a replacement with a new name appears and serves', async () => {
    const [old] = webPods(await status());
    const r = await lab(['delete', 'pod', old.name, '--name', NAME]);
    expect(r.exitCode).toBe(0);
    const s = await status();
    const web = webPods(s);
    expect(web).toHaveLength(1);
    expect(web[0].name).not.toBe(old.name);
    expect(web[0].running).toBe(true);
    expect(s.pods.find((p) => p.name === old.name)).toBeUndefined();
    expect(await dockerExec(nodeContainer(s, old.node), 'ip netns list')).not.toContain(old.name);
    expect([...(await hitVip(s)).keys()]).toEqual([web[0].name]);
    const bad = await lab(['delete', 'deployment', 'web', '--name', NAME]);
    expect(bad.exitCode).toBe(2);
    const unknown = await lab(['delete', 'pod', 'no-such-pod', '--name', NAME]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain(web[0].name);
  });

  describe('with lab watch running', () => {
    let watch: execa.ExecaChildProcess;
    let out = '';
    // Waits on the watch loop's work; a timeout shows the end of what it printed.
    const waitWatch = (what: string, check: () => Promise<boolean>) =>
      eventually(what, check, { everyMs: 50, explain: () => `lab watch printed, last lines:\n${tail(out)}` });
    beforeAll(async () => {
      expect((await lab(['scale', 'web', '--replicas', '2', '--name', NAME])).exitCode).toBe(0);
      // --time-scale 0.05: a pod without a readinessProbe leaves at Kubernetes' default 3rd failed check,
      // 0.5 s apart: 1.0–1.5 s after it stops answering.
      watch = execa(
        'node',
        [LAB_BIN, 'watch', '--name', NAME, '--interval', '0.5', '--cni-check', '0', '--time-scale', '0.05'],
        {
          cwd: ROOT,
          reject: false,
        },
      );
      watch.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      watch.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      await waitWatch('the first sync of lab watch', async () => out.includes('initial sync'));
    });
    afterAll(async () => {
      if (watch.exitCode === null) watch.kill('SIGKILL');
    });

    it("drops an unready pod from every node's rules, and takes it back when ready", async () => {
      const s = await status();
      const [target, other] = webPods(s);
      const node = nodeContainer(s, target.node);
      const ep = `${target.ip}:8080`;
      for (const n of ['node1', 'node2', 'node3']) expect(await rules(n)).toContain(ep);
      await dockerExec(node, `curl -s http://${target.ip}:8080/ready?set=false`);
      const ms = await waitWatch(`${ep} to leave every node's rules`, async () => {
        const dumps = await Promise.all(
          ['node1', 'node2', 'node3'].map((n) => dockerExec(nodeContainer(s, n), 'iptables-nft-save -t nat')),
        );
        return dumps.every((d) => !d.includes(ep));
      });
      console.log(`watch reaction: ${target.name} unready -> gone from the rules of every node in ${ms} ms`);
      // How fast is a figure for the benchmarks, not a verdict here (it failed at 2014 ms on a loaded
      // machine); that it happens at all is bounded by eventually's deadline.
      for (const n of ['node1', 'node2', 'node3']) expect(await rules(n)).not.toContain(ep);
      expect([...(await hitVip(s, 20)).keys()]).toEqual([other.name]);
      expect(out).toContain(`-${ep} (not ready)`);

      await dockerExec(node, `curl -s http://${target.ip}:8080/ready?set=true`);
      const back = await waitWatch(`${ep} to come back`, async () =>
        (await dockerExec(nodeContainer(s, 'node3'), 'iptables-nft-save -t nat')).includes(ep),
      );
      console.log(`watch reaction: ${target.name} ready again -> back in node3's rules in ${back} ms`);
      for (const n of ['node1', 'node2', 'node3']) expect(await rules(n)).toContain(ep);
      expect([...(await hitVip(s)).keys()].sort()).toEqual([target.name, other.name].sort());
    });

    it('restarts a pod whose process died, and it serves again', async () => {
      const s = await status();
      const [target, other] = webPods(s);
      await dockerExec(nodeContainer(s, target.node), `curl -s http://${target.ip}:8080/shutdown`);
      const ms = await waitWatch('the restart', async () =>
        out.includes(`kubelet: restarted default/${target.name} container web (restart 1)`),
      );
      console.log(`watch reaction: ${target.name} died -> restarted in ${ms} ms`);
      expect(out).toMatch(
        new RegExp(`\\d\\d:\\d\\d:\\d\\d kubelet: restarted default/${target.name} container web \\(restart 1\\)`),
      );
      // The restarted container leaves the endpoints until it is observed ready again, then comes
      // back: wait for it to serve through the VIP (its rules alone may still be the old ones).
      await waitWatch('the restarted pod serving through the VIP again', async () =>
        (await hitVip(s, 20)).has(target.name),
      );
      expect([...(await hitVip(s)).keys()].sort()).toEqual([target.name, other.name].sort());
      const after = await status();
      expect(after.pods.find((p) => p.name === target.name)!.running).toBe(true);
    });

    it('picks up a scale made from another shell, and stops cleanly on Ctrl-C', async () => {
      expect((await lab(['scale', 'web', '--replicas', '3', '--name', NAME])).exitCode).toBe(0);
      await waitWatch('the model change', async () => out.includes('model changed'));
      watch.kill('SIGINT');
      const r = await watch;
      expect(r.exitCode).toBe(0);
      expect(out).toContain('watch stopped');
    });
  });

  it('CNI CHECK (lab watch) catches a pod whose network was broken (its default route deleted), and passes once it is back', async () => {
    const s = await status();
    const n = s.pods.length;
    const first = await lab(['watch', '--once', '--name', NAME]);
    expect(first.stdout).toContain(`CNI CHECK of ${n} pods: ${n} passed, 0 failed`);
    const [target] = webPods(s);
    const node = nodeContainer(s, target.node);
    const route = (await dockerExec(node, `ip -n ${target.name} route show default`)).trim();
    expect(route).toMatch(/^default via \d+\.\d+\.\d+\.\d+ dev eth0/);
    await dockerExec(node, `ip -n ${target.name} route del default`);
    try {
      const broken = await lab(['watch', '--once', '--name', NAME]);
      expect(broken.stdout).toMatch(
        new RegExp(`CNI CHECK failed for default/${target.name}: .*CHECK bridge .*Expected Route .*0\\.0\\.0\\.0`),
      );
      expect(broken.stdout).toContain(`CNI CHECK of ${n} pods: ${n - 1} passed, 1 failed`);
    } finally {
      await dockerExec(node, `ip -n ${target.name} route add ${route}`);
    }
    const again = await lab(['watch', '--once', '--name', NAME]);
    expect(again.stdout).toContain(`CNI CHECK of ${n} pods: ${n} passed, 0 failed`);
  });

  it('watch --once runs one iteration and exits', async () => {
    const r = await lab(['watch', '--once', '--name', NAME]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('kube-proxy (iptables): synced');
  });

  it('apply: a modified guide (3 replicas, an extra pod) is reconciled', async () => {
    const file = guideVariant((d) => {
      d.objects.find((o: any) => o.kind === 'Deployment' && o.metadata.name === 'web').spec.replicas = 3;
      d.objects.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'extra', labels: { app: 'web' } },
        spec: {
          nodeName: 'node2',
          containers: [
            {
              name: 'web',
              image: 'registry.k8s.io/e2e-test-images/agnhost:2.47',
              args: ['netexec', '--http-port=8080', '--udp-port=8081'],
              ports: [{ name: 'http', containerPort: 8080 }],
            },
          ],
        },
      });
    });
    const r = await lab(['apply', '-t', file, '--name', NAME]);
    if (r.exitCode !== 0) console.log(r.stdout, r.stderr);
    expect(r.exitCode).toBe(0);
    const s = await status();
    const web = webPods(s);
    expect(web).toHaveLength(3);
    const extra = s.pods.find((p) => p.name === 'extra')!;
    expect(extra).toBeDefined();
    expect(extra.node).toBe('node2');
    for (const p of s.pods) expect(p.running).toBe(true);
    expect(new Set(s.pods.map((p) => p.ip)).size).toBe(s.pods.length);
    const answers = await hitVip(s, 60);
    expect([...answers.keys()].sort()).toEqual([...web.map((p) => p.name), 'extra'].sort());
    // Applying the same file again changes nothing.
    const again = await lab(['apply', '-t', file, '--name', NAME]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('0 pods created, 0 deleted');
  });

  it('apply: a bad file exits 2 and changes nothing', async () => {
    const before = await status();
    const badPod = guideVariant((d) => {
      d.objects.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'lost' },
        spec: {
          nodeName: 'node9',
          containers: [{ name: 'c', image: 'registry.k8s.io/e2e-test-images/agnhost:2.47', args: ['netexec'] }],
        },
      });
    });
    const r1 = await lab(['apply', '-t', badPod, '--name', NAME]);
    expect(r1.exitCode).toBe(2);
    expect(r1.stderr).toContain('node9');
    const newNode = guideVariant((d) => d.nodes.push({ name: 'node4' }));
    const r2 = await lab(['apply', '-t', newNode, '--name', NAME]);
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toContain('node node4 is in the file but not running');
    expect(r2.stderr).toContain('lab down');
    expect(await status()).toEqual(before);
  });
});
