import Ajv from 'ajv';
import { readFileSync } from 'fs';
import { join } from 'path';
import { schemaFileText, topologySchema } from '../../src/topology/schema';

const committed = join(__dirname, '../../schemas/topology.schema.json');

describe('topology JSON Schema', () => {
  it('committed schemas/topology.schema.json equals the schema object (run `npm run schema` after editing schema.ts)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(schemaFileText());
    expect(JSON.parse(readFileSync(committed, 'utf8'))).toEqual(topologySchema);
  });

  it('is draft-07 and compiles in strict mode', () => {
    expect(topologySchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    expect(() => ajv.compile(topologySchema)).not.toThrow();
  });

  it('documents every field with a description', () => {
    const missing: string[] = [];
    const walk = (s: unknown, path: string): void => {
      if (!s || typeof s !== 'object') return;
      const o = s as Record<string, unknown>;
      if (o.properties) {
        for (const [k, v] of Object.entries(o.properties as Record<string, Record<string, unknown>>)) {
          if (typeof v.description !== 'string' || !v.description) missing.push(`${path}.${k}`);
          walk(v, `${path}.${k}`);
        }
      }
      if (o.items) walk(o.items, `${path}[]`);
      if (o.definitions)
        for (const [k, v] of Object.entries(o.definitions as object)) {
          if (!(v as Record<string, unknown>).description) missing.push(`definitions.${k}`);
          walk(v, `definitions.${k}`);
        }
      if (o.additionalProperties && typeof o.additionalProperties === 'object')
        walk(o.additionalProperties, `${path}.*`);
    };
    walk(topologySchema, '');
    expect(missing).toEqual([]);
  });
});
