/** The loader refuses bad Ingresses (exit 2) with field paths into the topology file. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import YAML from 'yaml';
import { loadTopology } from '../../src/topology/load';
import { InputErrors } from '../../src/errors';
import { GUIDE } from '../e2e/helpers';

function withObjects(extra: unknown[]): string {
  const doc = YAML.parse(fs.readFileSync(GUIDE, 'utf8'));
  const base = doc.objects.length;
  doc.objects = [...doc.objects, ...extra];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ing-load-'));
  const file = path.join(dir, 'lab.yaml');
  fs.writeFileSync(file, YAML.stringify(doc));
  return `${file}\n${base}`;
}

const ing = (name: string, spec: unknown) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name },
  spec,
});

describe('loadTopology with Ingresses', () => {
  it('accepts the guide and keeps its Ingress', () => {
    const m = loadTopology(GUIDE, { name: 'ing-unit' });
    expect(m.ingresses).toHaveLength(1);
  });

  it('collects every Ingress problem with its objects[N] field path', () => {
    const [file, base] = withObjects([
      ing('a', {
        rules: [
          {
            host: 'x.example.com',
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { service: { name: 'missing', port: { number: 80 } } } },
              ],
            },
          },
        ],
      }),
      ing('b', { defaultBackend: { service: { name: 'api', port: { name: 'grpc' } } } }),
    ]).split('\n');
    const n = Number(base);
    let err: InputErrors | undefined;
    try {
      loadTopology(file, { name: 'ing-unit' });
    } catch (e) {
      err = e as InputErrors;
    }
    expect(err).toBeInstanceOf(InputErrors);
    expect(err!.exitCode).toBe(2);
    expect(err!.errors.map((e) => e.field)).toEqual([
      `objects[${n}].spec.rules[0].http.paths[0].backend.service.name`,
      `objects[${n + 1}].spec.defaultBackend.service.port.name`,
    ]);
    expect(err!.message).toMatch(/fix: add a Service named missing \(type: NodePort\)/);
  });
});
