import { mkdtempSync, mkdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadRawTopology, loadTopology } from '../../src/topology/load';
import { resolveTopology } from '../../src/topology/resolve';
import { AGNHOST, errorAt, errorsOf } from './helpers';

function write(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'topo-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const BASE = `name: t
nodes:
  - name: node1
  - name: node2
`;

describe('loadTopology: files, YAML and schema', () => {
  it('loads a minimal file with defaults', () => {
    const dir = write({ 'lab.yaml': BASE });
    const m = loadTopology(join(dir, 'lab.yaml'));
    expect(m.source).toBe(join(dir, 'lab.yaml'));
    expect(m.subnets).toEqual([{ name: 'subnet-a', cidr: '10.0.1.0/24', gateway: '10.0.1.1', bridge: 'br-subnet-a' }]);
    expect(m.nodes.map((n) => [n.ip, n.podCIDR])).toEqual([
      ['10.0.1.10', '10.244.0.0/24'],
      ['10.0.1.11', '10.244.1.0/24'],
    ]);
    expect(m.cluster.nodePortRange).toEqual([30000, 32767]);
    // Only the cluster DNS add-on's pods (kubeadm's coredns Deployment, two replicas).
    expect(m.pods.map((p) => [p.namespace, p.owner])).toEqual([
      ['kube-system', 'coredns'],
      ['kube-system', 'coredns'],
    ]);
    expect(m.cluster.dns).toBe(true);
  });

  it('reads manifests relative to the topology file, multi-document', () => {
    const dir = write({
      'labs/lab.yaml': `${BASE}manifests: [k8s/apps.yaml]\n`,
      'labs/k8s/apps.yaml': `apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: team}
spec:
  containers: [{name: c, image: ${AGNHOST}, args: [netexec]}]
---
`,
    });
    const m = loadTopology(join(dir, 'labs/lab.yaml'));
    expect(m.namespaces).toContain('team');
    expect(m.pods.filter((p) => p.namespace !== 'kube-system').map((p) => [p.namespace, p.name, p.netns])).toEqual([
      ['team', 'p', 'team.p'],
    ]);
  });

  it('reports errors inside manifests with the file and document index', () => {
    const dir = write({
      'lab.yaml': `${BASE}manifests: [a.yaml, missing.yaml]\n`,
      'a.yaml': `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replica: 2, selector: {}, template: {spec: {containers: []}}}\n`,
    });
    const errs = errorsOf(() => loadTopology(join(dir, 'lab.yaml')));
    expect(errorAt(errs, 'a.yaml[1].spec.replica').hint).toMatch(/did you mean "replicas"/);
    expect(errorAt(errs, 'a.yaml[1].spec.template.spec.containers').message).toMatch(/must not be empty/);
    const missing = errorAt(errs, 'manifests[1]');
    expect(missing.message).toMatch(/cannot read .*missing\.yaml \(ENOENT\)/);
  });

  it('names unknown fields and suggests the closest known one', () => {
    const dir = write({
      'lab.yaml': `name: t\nclustr: {}\nnodes:\n  - name: node1\n    subnt: a\n    labels: {zone: 1}\n`,
    });
    const errs = errorsOf(() => loadRawTopology(join(dir, 'lab.yaml')));
    expect(errorAt(errs, 'clustr').hint).toMatch(/did you mean "cluster"/);
    expect(errorAt(errs, 'clustr').message).toBe('clustr: unknown field "clustr"');
    expect(errorAt(errs, 'nodes[0].subnt').hint).toMatch(/did you mean "subnet"/);
    const label = errorAt(errs, 'nodes[0].labels.zone');
    expect(label.message).toMatch(/must be a string, got number 1/);
    expect(label.hint).toMatch(/quote/);
  });

  it('reports enum, pattern, const and required failures with the fix', () => {
    const dir = write({
      'lab.yaml': `name: Lab_1
cluster: {proxy: ipvss, cni: calico, podCIDR: 10.244/16}
nodes:
  - {name: node1}
objects:
  - {apiVersion: v1, kind: Deployment, metadata: {name: d}, spec: {selector: {}, template: {spec: {containers: [{name: c, image: x}]}}}}
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
  - {apiVersion: v1, kind: Service, spec: {}}
`,
    });
    const errs = errorsOf(() => loadTopology(join(dir, 'lab.yaml')));
    expect(errorAt(errs, 'name').message).toMatch(/DNS-1123 label/);
    expect(errorAt(errs, 'cluster.proxy').hint).toMatch(
      /use one of: iptables, nftables, ipvs \(did you mean "ipvs"\?\)/,
    );
    expect(errorAt(errs, 'cluster.cni').hint).toContain('vpc-routes, host-gw, vxlan, vpc-native');
    expect(errorAt(errs, 'cluster.podCIDR').hint).toMatch(/10\.0\.1\.0\/24/);
    expect(errorAt(errs, 'objects[0].apiVersion').hint).toBe('use apps/v1');
    expect(errorAt(errs, 'objects[1].kind').hint).toMatch(/Namespace, Pod, Deployment, Service, Ingress/);
    expect(errorAt(errs, 'objects[2].metadata').message).toMatch(/required field is missing/);
  });

  it('reports YAML syntax errors with line and column, and duplicate keys', () => {
    const dir = write({
      'bad.yaml': 'name: t\nnodes:\n  - name: [node1\n',
      'dup.yaml': 'name: t\nname: u\nnodes: [{name: a}]\n',
    });
    const errs = errorsOf(() => loadTopology(join(dir, 'bad.yaml')));
    expect(errs[0].message).toMatch(/bad\.yaml:\d+:\d+: YAML:/);
    const dup = errorsOf(() => loadTopology(join(dir, 'dup.yaml')));
    expect(dup[0].message).toMatch(/dup\.yaml:2:1: YAML: .*unique/i);
  });

  it('rejects a missing file and a non-mapping document', () => {
    expect(errorsOf(() => loadTopology('/nonexistent/lab.yaml'))[0].message).toMatch(
      /cannot read \/nonexistent\/lab\.yaml \(ENOENT\)/,
    );
    const dir = write({ 'list.yaml': '- a\n- b\n' });
    expect(errorsOf(() => loadTopology(join(dir, 'list.yaml')))[0].message).toMatch(/must be a YAML mapping/);
  });

  it('accepts standard Kubernetes fields it does not interpret, rejects typos among them', () => {
    const dir = write({
      'lab.yaml': `${BASE}objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: p, annotations: {a: b}, uid: x}
    spec:
      restartPolicy: Always
      tolerations: []
      containers:
        - {name: c, image: ${AGNHOST}, args: [netexec], resources: {}, imagePullPolicy: IfNotPresent}
  - apiVersion: v1
    kind: Pod
    metadata: {name: q}
    spec:
      restartPolcy: Always
      containers: [{name: c, image: ${AGNHOST}, args: [netexec]}]
`,
    });
    const errs = errorsOf(() => loadTopology(join(dir, 'lab.yaml')));
    expect(errs).toHaveLength(1);
    expect(errorAt(errs, 'objects[1].spec.restartPolcy').hint).toMatch(/did you mean "restartPolicy"/);
  });

  it('keeps Ingress objects raw', () => {
    const dir = write({
      'lab.yaml': `${BASE}objects:
  - apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: ing}
    spec: {rules: [{host: foo.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]}
  - apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec: {type: NodePort, ports: [{port: 80}]}
`,
    });
    const m = loadTopology(join(dir, 'lab.yaml'));
    expect(m.ingresses).toHaveLength(1);
    expect((m.ingresses![0] as { spec: { rules: unknown[] } }).spec.rules).toHaveLength(1);
  });

  it('resolveTopology reads manifests itself when given raw input and a baseDir', () => {
    const dir = write({
      'm.yaml': `apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n`,
    });
    const m = resolveTopology({ name: 't', nodes: [{ name: 'n' }], manifests: ['m.yaml'] }, { baseDir: dir });
    expect(m.services.map((s) => s.name)).toEqual(['web', 'kube-dns']);
    expect(m.source).toBeUndefined();
  });
});
