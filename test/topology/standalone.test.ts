import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { renderStandaloneValidators, writeStandaloneValidators } from '../../src/topology/standalone';
import { compileValidators, generatedValidators, schemaHash } from '../../src/topology/validate';

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '..', '..');
let dir: string;
let file: string;

beforeAll(() => {
  // Inside the project, where the generated code's require('ajv/dist/runtime/…') resolves, as in dist/.
  mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
  dir = mkdtempSync(path.join(ROOT, 'test-artifacts', 'validators-'));
  file = path.join(dir, 'validators.generated.js');
  writeStandaloneValidators(file);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the standalone (build-time) topology validators', () => {
  it('are written whole, with the hash of the schema they were made from', () => {
    expect(readdirSync(dir)).toEqual(['validators.generated.js']);
    expect(readFileSync(file, 'utf8')).toContain(`module.exports.schemaHash = "${schemaHash()}"`);
  });

  it('judge every topology and bad documents exactly as the compiled schema does, errors included', () => {
    const gen = generatedValidators(file)!;
    expect(gen).toBeDefined();
    const compiled = compileValidators();
    const docs: unknown[] = readdirSync(path.join(ROOT, 'topologies'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => YAML.parse(readFileSync(path.join(ROOT, 'topologies', f), 'utf8')));
    docs.push(
      { name: 'bad1', nodes: [{ name: 'node1', subnet: 3 }], nodez: 1 },
      { name: 'bad2', cluster: { podCIDR: '10.244.0.0/33', proxy: 'ipvs2' }, nodes: [] },
      { name: 'Bad_Name', nodes: [{ name: 'node1', labels: { a: 1 } }] },
    );
    let failed = 0;
    for (const doc of docs) {
      const a = compiled.topology(doc);
      const b = gen.topology(doc);
      expect(b).toBe(a);
      expect(JSON.stringify(gen.topology.errors ?? null)).toBe(JSON.stringify(compiled.topology.errors ?? null));
      if (!a) failed++;
    }
    expect(failed).toBeGreaterThanOrEqual(3);
    const obj = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'Bogus' } };
    expect(gen.object(obj)).toBe(compiled.object(obj));
    expect(JSON.stringify(gen.object.errors)).toBe(JSON.stringify(compiled.object.errors));
  });

  it('are not used when made from another schema, or absent', () => {
    const stale = path.join(dir, 'stale.js');
    writeFileSync(stale, renderStandaloneValidators().replace(schemaHash(), 'another-schema'));
    expect(generatedValidators(stale)).toBeUndefined();
    expect(generatedValidators(path.join(dir, 'none.js'))).toBeUndefined();
  });
});
