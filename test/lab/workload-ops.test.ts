import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import YAML from 'yaml';
import { loadTopology } from '../../src/topology/load';
import { applyTopology, deletePod, scaleDeployment } from '../../src/lab/workload-ops';
import { InputError } from '../../src/errors';
import { LabModel, PodModel } from '../../src/model/types';
import { fixtureModel } from '../fixtures/model';

const GUIDE = path.resolve(__dirname, '..', '..', 'topologies', 'guide.yaml');
const guide = () => loadTopology(GUIDE);
const webPods = (m: LabModel) => m.pods.filter((p) => p.owner === 'web');

/** A copy of guide.yaml with `edit` applied to its parsed document. */
function guideVariant(edit: (doc: any) => void): string {
  const doc = YAML.parse(fs.readFileSync(GUIDE, 'utf8'));
  edit(doc);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-ops-'));
  const file = path.join(dir, 'guide.yaml');
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

const webDeployment = (doc: any) => doc.objects.find((o: any) => o.kind === 'Deployment' && o.metadata.name === 'web');

function expectConsistent(m: LabModel): void {
  const ips = m.pods.map((p) => p.ip);
  expect(new Set(ips).size).toBe(ips.length);
  const names = m.pods.map((p) => `${p.namespace}/${p.name}`);
  expect(new Set(names).size).toBe(names.length);
  const veths = m.pods.map((p) => `${p.node}/${p.hostVeth}`);
  expect(new Set(veths).size).toBe(veths.length);
  for (const p of m.pods) {
    const n = m.nodes.find((x) => x.name === p.node)!;
    expect(p.ip.split('.').slice(0, 3)).toEqual(n.podCIDR.split('.').slice(0, 3));
    expect(p.ip).not.toBe(n.cbr0IP);
  }
}

describe('scaleDeployment', () => {
  it('adds pods with fresh ReplicaSet-style names (random suffix of the apiserver alphabet)', () => {
    const m = guide();
    const r = scaleDeployment(m, 'web', 'default', 4);
    expect(r.removed).toEqual([]);
    expect(r.added).toHaveLength(2);
    const hash = webPods(m)[0].labels['pod-template-hash'];
    for (const p of r.added) expect(p.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    expect(new Set(webPods(r.model).map((p) => p.name)).size).toBe(4);
    expect(r.model.deployments.find((d) => d.name === 'web')!.replicas).toBe(4);
    // The input model is left as it was.
    expect(webPods(m)).toHaveLength(2);
    expectConsistent(r.model);
  });

  it('places and addresses them as the loader does when the Deployment is the last object of the file', () => {
    const topo = (replicas: number) => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wl-ops-')), 'small.yaml');
      const netexec = {
        name: 'web',
        image: 'registry.k8s.io/e2e-test-images/agnhost:2.47',
        args: ['netexec', '--http-port=8080'],
        ports: [{ name: 'http', containerPort: 8080 }],
      };
      fs.writeFileSync(
        file,
        YAML.stringify({
          name: 'small',
          cluster: { dns: false },
          nodes: [{ name: 'node1' }, { name: 'node2' }, { name: 'node3' }],
          objects: [
            {
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: { name: 'client' },
              spec: { nodeName: 'node3', containers: [netexec] },
            },
            {
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: { name: 'pinned' },
              spec: { nodeName: 'node1', containers: [netexec] },
            },
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              metadata: { name: 'web' },
              spec: {
                replicas,
                selector: { matchLabels: { app: 'web' } },
                template: {
                  metadata: { labels: { app: 'web' } },
                  spec: {
                    affinity: {
                      nodeAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: {
                          nodeSelectorTerms: [
                            {
                              matchExpressions: [
                                { key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['node3'] },
                              ],
                            },
                          ],
                        },
                      },
                    },
                    containers: [netexec],
                  },
                },
              },
            },
          ],
        }),
      );
      return loadTopology(file);
    };
    const r = scaleDeployment(topo(2), 'web', 'default', 5);
    // Names (and the netns/veth names made from them) are random; placement and addresses are the loader's.
    const pick = (ps: PodModel[]) =>
      ps.map((p) => ({ node: p.node, ip: p.ip, labels: p.labels, containers: p.containers }));
    expect(pick(r.model.pods)).toEqual(pick(topo(5).pods));
    expect(r.added.every((p) => p.node !== 'node3')).toBe(true);
  });

  it("keeps the template's node affinity: web never lands on node3, even with many replicas", () => {
    const r = scaleDeployment(guide(), 'web', 'default', 9);
    expect(webPods(r.model)).toHaveLength(9);
    expect(r.added.every((p) => p.node !== 'node3')).toBe(true);
    // Fewest pods first: node1 and node2 end up with the same number of pods.
    const on = (n: string) => r.model.pods.filter((p) => p.node === n).length;
    expect(Math.abs(on('node1') - on('node2'))).toBeLessThanOrEqual(1);
    expectConsistent(r.model);
  });

  it('never hands out an address in use, even one outside the usual order', () => {
    const m = guide();
    // A pod holding the address the next allocation on node1 would otherwise get.
    const node1 = m.pods.filter((p) => p.node === 'node1').map((p) => p.ip);
    const nextFree = `10.244.0.${Math.max(...node1.map((ip) => Number(ip.split('.')[3]))) + 1}`;
    m.pods[m.pods.findIndex((p) => p.name === 'client')] = {
      ...m.pods.find((p) => p.name === 'client')!,
      node: 'node1',
      ip: nextFree,
    };
    const r = scaleDeployment(m, 'web', 'default', 6);
    expect(r.added.map((p) => p.ip)).not.toContain(nextFree);
    expectConsistent(r.model);
  });

  it('removes the most recently created pods when scaling down', () => {
    const m = guide();
    const up = scaleDeployment(m, 'web', 'default', 4);
    const down = scaleDeployment(up.model, 'web', 'default', 1);
    expect(down.added).toEqual([]);
    expect(down.removed.map((p) => p.name)).toEqual(
      webPods(up.model)
        .slice(1)
        .map((p) => p.name),
    );
    expect(webPods(down.model).map((p) => p.name)).toEqual([webPods(up.model)[0].name]);
    const zero = scaleDeployment(down.model, 'web', 'default', 0);
    expect(webPods(zero.model)).toEqual([]);
    // The non-Deployment pods are untouched.
    expect(zero.model.pods).toEqual(m.pods.filter((p) => p.owner !== 'web'));
    expect(zero.model.pods.map((p) => p.name)).toEqual(
      expect.arrayContaining(['pod1', 'pod2', 'pod3', 'pod4', 'client']),
    );
  });

  it("after scaling down and up again gives new names and the next addresses after host-local's cursor, not the freed ones", () => {
    const m = guide();
    const zero = scaleDeployment(m, 'web', 'default', 0);
    const again = scaleDeployment(zero.model, 'web', 'default', 2);
    const was = webPods(m);
    const now = webPods(again.model);
    expect(now).toHaveLength(2);
    for (const p of now) {
      expect(was.map((x) => x.name)).not.toContain(p.name);
      expect(was.map((x) => x.ip)).not.toContain(p.ip);
    }
    // Each new address is the next free one after the node's last reserved address (the cursor moves along).
    for (const p of now) {
      const node = m.nodes.find((n) => n.name === p.node)!;
      const last = Number(node.lastReservedIP!.split('.')[3]);
      expect(Number(p.ip.split('.')[3])).toBeGreaterThan(last);
    }
    expect(again.model.nodes.find((n) => n.name === now[1].node)!.lastReservedIP).toBe(now[1].ip);
    expectConsistent(again.model);
  });

  it('wraps to the start of the block once the cursor reaches its end (host-local round robin)', () => {
    const m = guide();
    m.nodes = m.nodes.map((n) => (n.name === 'node1' ? { ...n, lastReservedIP: n.podCIDR.replace('0/24', '254') } : n));
    const r = scaleDeployment(m, 'web', 'default', 3);
    const added = r.added[0];
    if (added.node === 'node1') {
      const used = m.pods.filter((p) => p.node === 'node1').map((p) => Number(p.ip.split('.')[3]));
      let want = 2;
      while (used.includes(want)) want++;
      expect(Number(added.ip.split('.')[3])).toBe(want);
    }
    expectConsistent(r.model);
  });

  it('rejects an unknown deployment, listing the existing ones, and negative replicas', () => {
    const m = guide();
    expect(() => scaleDeployment(m, 'nope', 'default', 2)).toThrow(InputError);
    try {
      scaleDeployment(m, 'nope', 'default', 2);
    } catch (e) {
      expect((e as InputError).field).toBe('deployment');
      expect((e as InputError).hint).toContain('default/web');
    }
    expect(() => scaleDeployment(m, 'web', 'other', 2)).toThrow(/not found in namespace other/);
    expect(() => scaleDeployment(m, 'web', 'default', -1)).toThrow(/--replicas/);
    expect(() => scaleDeployment(m, 'web', 'default', 1.5)).toThrow(InputError);
    try {
      scaleDeployment(fixtureModel(), 'web', 'default', 1);
      throw new Error('no error');
    } catch (e) {
      expect((e as InputError).hint).toMatch(/no Deployments/);
    }
  });

  it('says when a node block has no address left', () => {
    const m = guide();
    m.nodes = m.nodes.map((n) => ({ ...n, podCIDR: n.podCIDR.replace('/24', '/29') }));
    // /29: 6 hosts, cbr0 takes one; node1 and node2 each hold 3 pods already.
    expect(() => scaleDeployment(m, 'web', 'default', 10)).toThrow(/no free address/);
  });
});

describe('deletePod', () => {
  it('replaces a Deployment pod with a new name, on an allowed node, with a fresh address', () => {
    const m = guide();
    const victim = webPods(m)[0];
    const r = deletePod(m, victim.name, 'default');
    expect(r.removed).toEqual([victim]);
    expect(r.added).toHaveLength(1);
    const repl = r.added[0];
    expect(repl.name).not.toBe(victim.name);
    expect(repl.name).toMatch(/^web-[0-9a-f]{10}-[a-z0-9]{5}$/);
    expect(repl.owner).toBe('web');
    expect(repl.labels['pod-template-hash']).toBe(victim.labels['pod-template-hash']);
    expect(repl.node).not.toBe('node3');
    expect(repl.ip).not.toBe(victim.ip);
    expect(m.pods.map((p) => p.ip)).not.toContain(repl.ip);
    expect(webPods(r.model)).toHaveLength(2);
    expect(r.model.pods.find((p) => p.name === victim.name)).toBeUndefined();
    expectConsistent(r.model);
    // Deleting the replacement gives yet another name, none of the recent ones.
    const r2 = deletePod(r.model, repl.name, 'default');
    expect([victim.name, repl.name, ...webPods(r.model).map((p) => p.name)]).not.toContain(r2.added[0].name);
    expectConsistent(r2.model);
  });

  it('deletes a bare pod without replacement', () => {
    const r = deletePod(guide(), 'pod2', 'default');
    expect(r.added).toEqual([]);
    expect(r.removed.map((p) => p.name)).toEqual(['pod2']);
    expect(r.model.pods.map((p) => p.name)).not.toContain('pod2');
  });

  it('rejects an unknown pod, listing the pods', () => {
    expect(() => deletePod(guide(), 'nope', 'default')).toThrow(InputError);
    try {
      deletePod(guide(), 'nope', 'default');
    } catch (e) {
      expect((e as InputError).hint).toContain('default/pod1');
      expect((e as InputError).field).toBe('pod');
    }
  });
});

describe('applyTopology', () => {
  it('changes nothing when the file is what runs', () => {
    const running = { ...guide(), image: 'k8s-netlab/node:abc' };
    const r = applyTopology(running, guide());
    expect(r.added).toEqual([]);
    expect(r.removed).toEqual([]);
    expect(r.changedServices).toEqual([]);
    expect(r.model.image).toBe('k8s-netlab/node:abc');
    expect(r.model.pods).toEqual(running.pods);
  });

  it('adds replicas and an extra pod, keeps the pods that did not change', () => {
    const running = guide();
    const file = guideVariant((d) => {
      webDeployment(d).spec.replicas = 3;
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
              args: ['netexec', '--http-port=8080'],
              ports: [{ name: 'http', containerPort: 8080 }],
            },
          ],
        },
      });
    });
    const wanted = loadTopology(file, { name: running.name });
    const r = applyTopology(running, wanted);
    expect(r.removed).toEqual([]);
    // The running replicas stay (same template); the controller adds one with a fresh name.
    expect(r.added.map((p) => p.name).filter((n) => n !== 'extra')).toHaveLength(1);
    expect(r.added.map((p) => p.name)).toContain('extra');
    expect(r.added.find((p) => p.name === 'extra')!.node).toBe('node2');
    for (const p of running.pods) expect(r.model.pods).toContain(p);
    expect(webPods(r.model)).toHaveLength(3);
    expect(r.model.pods).toHaveLength(wanted.pods.length);
    expect(r.model.deployments.find((d) => d.name === 'web')!.replicas).toBe(3);
    expectConsistent(r.model);
    // Applying the same file to the result changes nothing, though the file's replica names are drawn afresh.
    const again = applyTopology(r.model, loadTopology(file, { name: running.name }));
    expect(again.added).toEqual([]);
    expect(again.removed).toEqual([]);
  });

  it('recreates a pod whose labels or containers changed, and removes pods not in the file', () => {
    const running = guide();
    const file = guideVariant((d) => {
      const p2 = d.objects.find((o: any) => o.metadata.name === 'pod2');
      p2.metadata.labels = { role: 'changed' };
      d.objects = d.objects.filter((o: any) => o.metadata.name !== 'pod4');
    });
    const wanted = loadTopology(file);
    const r = applyTopology(running, wanted);
    // Without pod4 the scheduler may place bare pods differently: those whose node moved are recreated too.
    const moved = running.pods.filter((p) => {
      const w = wanted.pods.find((q) => q.name === p.name);
      return w !== undefined && !p.owner && w.node !== p.node;
    });
    expect(r.removed.map((p) => p.name).sort()).toEqual(['pod2', 'pod4', ...moved.map((p) => p.name)].sort());
    expect(r.added.map((p) => p.name).sort()).toEqual(['pod2', ...moved.map((p) => p.name)].sort());
    expect(r.added.find((p) => p.name === 'pod2')!.labels).toEqual({ role: 'changed' });
    expect(r.model.pods.find((p) => p.name === 'pod1')).toBe(running.pods.find((p) => p.name === 'pod1'));
    // The web replicas keep running: same pod template.
    for (const p of webPods(running)) expect(r.model.pods).toContain(p);
    expectConsistent(r.model);
    expect(r.model.pods.find((p) => p.name === 'pod4')).toBeUndefined();
  });

  it('recreates the web pods when the template changes (new pod-template-hash, new names)', () => {
    const running = guide();
    const file = guideVariant((d) => (webDeployment(d).spec.template.metadata.labels.tier = 'front'));
    const r = applyTopology(running, loadTopology(file));
    expect(r.removed.map((p) => p.name).sort()).toEqual(
      webPods(running)
        .map((p) => p.name)
        .sort(),
    );
    expect(r.added).toHaveLength(2);
    expect(r.added.every((p) => p.labels.tier === 'front')).toBe(true);
  });

  it('replaces services and names the changed ones', () => {
    const running = guide();
    const file = guideVariant((d) => {
      const svc = d.objects.find((o: any) => o.kind === 'Service');
      svc.spec.ports = svc.spec.ports.slice(0, 1);
      d.objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web2' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
      });
    });
    const wanted = loadTopology(file);
    const r = applyTopology(running, wanted);
    expect(r.changedServices).toEqual(['default/web', 'default/web2']);
    expect(r.model.services).toEqual(wanted.services);
    expect(r.model.services.map((s) => s.name)).toContain('web2');
    expect(r.model.services.find((s) => s.name === 'web')!.ports).toHaveLength(1);
    expect(r.added).toEqual([]);
  });

  it('refuses a file whose nodes or cluster settings differ, listing the differences', () => {
    const running = guide();
    const file = guideVariant((d) => {
      d.nodes.push({ name: 'node4' });
      d.cluster.mtu = 1400;
    });
    expect(() => applyTopology(running, loadTopology(file))).toThrow(InputError);
    try {
      applyTopology(running, loadTopology(file));
    } catch (e) {
      const err = e as InputError;
      expect(err.message).toContain('node node4 is in the file but not running');
      expect(err.message).toContain('cluster.mtu');
      expect(err.hint).toContain('lab down');
      expect(err.hint).toContain('lab up -t');
    }
  });

  it('refuses a file that adds or drops the edge', () => {
    const base = guide();
    const running: LabModel = { ...base, edge: undefined };
    const wanted: LabModel = {
      ...base,
      edge: base.edge ?? ({ publicCIDR: '203.0.113.0/24' } as unknown as LabModel['edge']),
    };
    expect(() => applyTopology(running, wanted)).toThrow(/edge: in the file, not running/);
    expect(() => applyTopology(wanted, running)).toThrow(/edge: running, not in the file/);
  });
});
