/**
 * The topology validators as ajv standalone code, generated at build time (npm run build writes
 * dist/topology/validators.generated.js): compiling the schema is most of `lab up`'s CPU before
 * anything starts, while requiring the generated module is a few milliseconds. The module carries
 * the hash of the schema it was generated from; validate.ts uses it only when that matches the
 * running schema, and compiles the schema otherwise (ts-jest runs from src, with no module).
 */
import { renameSync, writeFileSync } from 'fs';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { SCHEMA_ID, topologySchema } from './schema';
import { AJV_OPTIONS, schemaHash } from './validate';

/** The module text: `topology` and `object` validate functions and the schema hash. */
export function renderStandaloneValidators(): string {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  ajv.addSchema(topologySchema);
  const code = standaloneCode(ajv, { topology: SCHEMA_ID, object: `${SCHEMA_ID}#/definitions/KubeObject` });
  return `${code}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash())};\n`;
}

/**
 * Writes the module (by rename, so a concurrent reader never sees half of it).
 * @public npm run build calls it from dist/.
 */
export function writeStandaloneValidators(file: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, renderStandaloneValidators());
  renameSync(tmp, file);
}
