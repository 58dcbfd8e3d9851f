/**
 * The dns probe's expected answers come from Kubernetes' rules and the readiness observed live,
 * not from the zones the lab wrote: a headless Service's not-ready backend must be absent from
 * its A and SRV answers, and present when the Service publishes not-ready addresses.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import { lab, labName } from './helpers';
import { readModel } from '../../src/lab/state';

const NAME = labName('e2e-dns-ready');
jest.setTimeout(300_000);

const TOPO = `name: dns-ready
nodes: [{name: node1}, {name: node2}]
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: client, labels: {app: client}}
    spec:
      nodeName: node1
      containers:
        - name: client
          image: registry.k8s.io/e2e-test-images/agnhost:2.47
          args: [netexec, --http-port=8080, --udp-port=8081]
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: db}
    spec:
      replicas: 2
      selector: {matchLabels: {app: db}}
      template:
        metadata: {labels: {app: db}}
        spec:
          containers:
            - name: db
              image: registry.k8s.io/e2e-test-images/agnhost:2.47
              args: [netexec, --http-port=8080, --udp-port=8081]
              ports: [{name: http, containerPort: 8080}]
  - apiVersion: v1
    kind: Service
    metadata: {name: db}
    spec:
      clusterIP: None
      selector: {app: db}
      ports: [{name: http, port: 8080, targetPort: http}]
  - apiVersion: v1
    kind: Service
    metadata: {name: db-all}
    spec:
      clusterIP: None
      publishNotReadyAddresses: true
      selector: {app: db}
      ports: [{name: http, port: 8080, targetPort: http}]
`;

interface Report {
  ok: boolean;
  probes: Array<{
    verdict: string;
    reason?: string;
    evidence: {
      observed: { answers: Record<string, string>; notReady: string[] };
      expected: { answers: Record<string, string> };
    };
  }>;
}

describe('dns: expected answers follow live readiness', () => {
  beforeAll(async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'netlab-')), 'dns-ready.yaml');
    fs.writeFileSync(file, TOPO);
    await lab(['down', '--name', NAME]);
    const up = await lab(['up', '-t', file, '--name', NAME, '--no-verify']);
    if (up.exitCode !== 0) throw new Error(`lab up: ${up.stdout}\n${up.stderr}`);
  });
  afterAll(async () => {
    await lab(['down', '--name', NAME]);
  });

  it('a not-ready backend leaves db A/SRV but stays in db-all (publishNotReadyAddresses); the probe passes on both', async () => {
    const model = await readModel(NAME);
    const db = model.pods.filter((p) => p.labels.app === 'db');
    const gone = db[0];
    const node = model.nodes.find((n) => n.name === gone.node)!;
    await execa('docker', [
      'exec',
      node.container,
      'ip',
      'netns',
      'exec',
      gone.netns,
      'curl',
      '-fs',
      `http://${gone.ip}:8080/ready?set=false`,
    ]);
    // One pass of the control loop: endpoints (and so DNS) follow readiness.
    const w = await lab(['watch', '--name', NAME, '--once']);
    expect(w.exitCode).toBe(0);
    const v = await lab(['verify', '--name', NAME, '--path', 'dns', '--json']);
    const doc = JSON.parse(v.stdout) as Report;
    expect(doc.probes.filter((p) => p.verdict !== 'pass').map((p) => p.reason)).toEqual([]);
    expect(v.exitCode).toBe(0);
    const p = doc.probes[0];
    expect(p.evidence.observed.notReady).toEqual([`default/${gone.name}`]);
    const served = (what: string) =>
      Object.entries(p.evidence.observed.answers)
        .filter(([k]) => k.startsWith(what))
        .map(([, a]) => a);
    expect(served('headless A default/db =').length).toBe(2);
    for (const a of served('headless A default/db =')) {
      expect(a).not.toContain(gone.ip);
      expect(a).toContain(db[1].ip);
    }
    for (const a of served('headless SRV default/db:')) expect(a.match(/SRV /g)).toHaveLength(1);
    for (const a of served('headless A default/db-all =')) {
      expect(a).toContain(gone.ip);
      expect(a).toContain(db[1].ip);
    }
    for (const a of served('headless SRV default/db-all:')) expect(a.match(/SRV /g)).toHaveLength(2);
    expect(p.evidence.expected.answers['headless A default/db = ready pod IPs']).not.toContain(gone.ip);
    expect(p.evidence.expected.answers['headless A default/db-all = ready pod IPs']).toContain(gone.ip);
  });
});
