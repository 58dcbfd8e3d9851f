/**
 * A minimal valid lab (one pod `app: web` and a Service selecting it, no edge) verifies green:
 * no probe takes the only backend as its client for the spread check, hairpin is judged as
 * hairpin. The paths it has nothing for are listed as not covered, with the reason, and
 * `--strict` turns them into a non-zero exit.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { lab, labName } from './helpers';

const NAME = labName('e2e-minimal');
jest.setTimeout(300_000);

const TOPO = `name: minimal
nodes: [{name: node1}, {name: node2}]
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: web, labels: {app: web}}
    spec:
      nodeName: node1
      containers:
        - name: web
          image: registry.k8s.io/e2e-test-images/agnhost:2.47
          args: [netexec, --http-port=8080, --udp-port=8081]
  - apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec:
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: 8080}]
`;

describe('a minimal lab', () => {
  let file = '';
  beforeAll(async () => {
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'netlab-')), 'minimal.yaml');
    fs.writeFileSync(file, TOPO);
    await lab(['down', '--name', NAME]);
  });
  afterAll(async () => {
    await lab(['down', '--name', NAME]);
  });

  it('comes up and verifies green, listing what it does not cover', async () => {
    const up = await lab(['up', '-t', file, '--name', NAME]);
    if (up.exitCode !== 0) console.log(up.stdout, up.stderr);
    expect(up.exitCode).toBe(0);
    expect(up.stdout).toMatch(/not covered \(the lab has no edge/);
    const v = await lab(['verify', '--name', NAME, '--json']);
    const doc = JSON.parse(v.stdout) as {
      ok: boolean;
      probes: Array<{ path: string; name: string; verdict: string; reason?: string }>;
      notCovered: Array<{ path: string; reason: string }>;
    };
    expect(doc.probes.filter((p) => p.verdict === 'fail').map((p) => `${p.path}: ${p.name}: ${p.reason}`)).toEqual([]);
    expect(doc.ok).toBe(true);
    expect(v.exitCode).toBe(0);
    // The only backend is never the spread client; hairpin is judged (and passes) as hairpin.
    expect(
      doc.probes.some((p) => p.path === 'pod-to-service' && p.name.startsWith('hairpin') && p.verdict === 'pass'),
    ).toBe(true);
    expect(doc.notCovered.map((n) => n.path).sort()).toEqual(
      // One serving pod on one node: nothing to pair on a node or across nodes; no NodePort; no edge.
      [
        'container-to-container',
        'pod-to-pod-same-node',
        'pod-to-pod-cross-node',
        'pod-mtu',
        'nodeport',
        'localhost-nodeport',
        'ingress-to-service',
        'pod-to-internet',
        'outside-to-nodeport',
        'loadbalancer-to-service',
      ].sort(),
    );
    for (const n of doc.notCovered) expect(n.reason).not.toBe('');
  });

  it('--strict exits non-zero while a path is not covered, naming it', async () => {
    const v = await lab(['verify', '--name', NAME, '--strict']);
    expect(v.exitCode).toBe(1);
    expect(v.stderr).toMatch(
      /--strict: 10 path\(s\) not covered: .*pod-to-pod-cross-node \(fewer than two nodes hold a pod that serves HTTP\).*ingress-to-service \(the lab has no edge/,
    );
  });
});
