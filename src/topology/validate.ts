/**
 * Schema validation with readable errors: ajv errors become InputErrors naming the field
 * (`nodes[2].subnet`) and the fix ("did you mean ..."), and manifest files are read and checked.
 */
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { InputError } from '../errors';
import { closest } from './names';
import type { KubeObject, SourcedObject } from './raw';
import { SCHEMA_ID, topologySchema } from './schema';
import { PATTERN_TEXT } from './schema-builders';
import * as path from 'path';
import { createHash } from 'crypto';
import { MAX_ALIAS_COUNT, MAX_DOCUMENTS, newPolicy, readBounded, ReadPolicy } from './read-limits';

/** The ajv options of both the compiled and the generated validators (src/topology/standalone.ts). */
export const AJV_OPTIONS: Options = { strict: true, allowUnionTypes: true, allErrors: true, verbose: true };

/** The build's standalone validators, beside this file in dist/. */
export const GENERATED_FILE = 'validators.generated.js';

/** The schema the validators check against, as a hash. */
export function schemaHash(): string {
  return createHash('sha256').update(JSON.stringify(topologySchema)).digest('hex').slice(0, 16);
}

interface Validators {
  topology: ValidateFunction;
  object: ValidateFunction;
}

let validators: Validators | undefined;

/**
 * The build's standalone validators (src/topology/standalone.ts) when they were generated from
 * this very schema; undefined otherwise (none generated, as under ts-jest, or a stale file).
 */
export function generatedValidators(file = path.join(__dirname, GENERATED_FILE)): Validators | undefined {
  let mod: Partial<Validators> & { schemaHash?: string };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file) as typeof mod;
  } catch {
    return undefined;
  }
  if (mod.schemaHash !== schemaHash() || !mod.topology || !mod.object) return undefined;
  return { topology: mod.topology, object: mod.object };
}

export function getValidators(): Validators {
  if (!validators) validators = generatedValidators() ?? compileValidators();
  return validators;
}

/** Compiles the schema (what the generated module holds, made at run time). */
export function compileValidators(): Validators {
  // Loaded only here: with the generated validators, lab never loads ajv's compiler.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: Ajv } = require('ajv') as typeof import('ajv');
  // allErrors: report every problem at once; verbose: errors carry their schema, for hints.
  const ajv = new Ajv(AJV_OPTIONS);
  const topology = ajv.compile(topologySchema);
  const object = ajv.getSchema(`${SCHEMA_ID}#/definitions/KubeObject`);
  if (!object) throw new Error('schema has no KubeObject definition');
  return { topology, object };
}

/** `/nodes/2/labels/kubernetes.io~1hostname` -> `nodes[2].labels["kubernetes.io/hostname"]`. */
export function pointerToPath(pointer: string, prefix = ''): string {
  let out = prefix;
  if (!pointer) return out;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^[0-9]+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function join(path: string, key: string): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Turns ajv errors into InputErrors that name the field and say how to fix it. */
export function schemaErrors(errors: ErrorObject[] | null | undefined, prefix = ''): InputError[] {
  const out: InputError[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    const field = pointerToPath(e.instancePath, prefix);
    const parent = (e.parentSchema ?? {}) as {
      properties?: Record<string, { description?: string }>;
      description?: string;
    };
    let err: InputError | undefined;
    switch (e.keyword) {
      case 'additionalProperties': {
        const name = String((e.params as { additionalProperty: string }).additionalProperty);
        const known = Object.keys(parent.properties ?? {});
        const guess = closest(name, known);
        err = new InputError(`unknown field "${name}"`, {
          field: join(field, name),
          hint: guess
            ? `did you mean "${guess}"? (known fields: ${known.join(', ')})`
            : `remove it; known fields here: ${known.join(', ')}`,
        });
        break;
      }
      case 'required': {
        const name = String((e.params as { missingProperty: string }).missingProperty);
        const desc = parent.properties?.[name]?.description;
        err = new InputError('required field is missing', {
          field: join(field, name),
          hint: `add ${name}${desc ? ` (${desc})` : ''}`,
        });
        break;
      }
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
        const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
        err = new InputError(`${JSON.stringify(e.data)} is not a valid value`, {
          field,
          hint: `use one of: ${allowed.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`,
        });
        break;
      }
      case 'const': {
        const allowed = String((e.params as { allowedValue: unknown }).allowedValue);
        err = new InputError(`${JSON.stringify(e.data)} is not valid here`, { field, hint: `use ${allowed}` });
        break;
      }
      case 'type': {
        const want = String((e.params as { type: string | string[] }).type).replace(',', ' or ');
        err = new InputError(
          `must be ${want === 'object' ? 'a mapping' : want === 'array' ? 'a list' : `a ${want}`}, got ${typeName(e.data)}`,
          {
            field,
            hint:
              want === 'string'
                ? 'quote the value'
                : `write a ${want === 'object' ? 'mapping (key: value)' : want === 'array' ? 'list' : want}`,
          },
        );
        break;
      }
      case 'pattern': {
        const p = String((e.params as { pattern: string }).pattern);
        const text = PATTERN_TEXT[p];
        err = new InputError(`${JSON.stringify(e.data)} ${text?.message ?? `does not match ${p}`}`, {
          field,
          hint: text?.hint ?? `match ${p}`,
        });
        break;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const min = (parent as { minimum?: number }).minimum;
        const max = (parent as { maximum?: number }).maximum;
        const range =
          min !== undefined && max !== undefined ? `${min}..${max}` : min !== undefined ? `>= ${min}` : `<= ${max}`;
        err = new InputError(`${JSON.stringify(e.data)} is out of range`, { field, hint: `use a value in ${range}` });
        break;
      }
      case 'minItems':
        err = new InputError('must not be empty', {
          field,
          hint: `add at least ${(e.params as { limit: number }).limit} entry`,
        });
        break;
      case 'maxLength':
        err = new InputError(`${JSON.stringify(e.data)} is too long`, {
          field,
          hint: `use at most ${(e.params as { limit: number }).limit} characters`,
        });
        break;
      case 'if':
        // The failing "then" branch reports its own errors.
        break;
      default:
        err = new InputError(e.message ?? 'is invalid', {
          field,
          hint: parent.description ? `expected: ${parent.description}` : undefined,
        });
    }
    if (err && !seen.has(err.message)) {
      seen.add(err.message);
      out.push(err);
    }
  }
  return out;
}

export function yamlErrors(doc: YAML.Document.Parsed, file: string): InputError[] {
  return doc.errors.map((e) => {
    const pos = e.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    return new InputError(`${where}: YAML: ${e.message.split('\n')[0]}`, { hint: 'fix the YAML syntax at that line' });
  });
}

/** Reads a topology or manifest file within the limits of src/topology/read-limits.ts. */
export function readText(
  file: string,
  field: string | undefined,
  policy: ReadPolicy = newPolicy(),
): string | InputError {
  return readBounded(file, field, policy);
}

/**
 * A parsed YAML document as plain data, its aliases expanded at most MAX_ALIAS_COUNT times; an
 * alias bomb is an InputError naming the file (and field), not a crash.
 */
export function docToJS(doc: YAML.Document.Parsed, file: string, field: string | undefined): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (cause) {
    return new InputError(
      `${file}: YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} alias uses in one document)`,
      {
        field,
        hint: 'write the repeated parts out, or use fewer aliases (*name)',
        cause,
      },
    );
  }
}

/** Validates Kubernetes objects read from elsewhere (a manifest file, a later `apply`). */
/**
 * Keywords whose failure leaves the document's shape intact (a bad value, an extra field), so the
 * resolver can still run and report its own problems in the same pass. Anything else (a missing
 * field, a wrong type) stops at the schema errors.
 */
const SOFT_KEYWORDS = new Set([
  'additionalProperties',
  'enum',
  'const',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'maxLength',
  'if',
]);

export interface SchemaCheck {
  errors: InputError[];
  /** True when the shape is broken and the value must not be resolved further. */
  hard: boolean;
}

export function checkWith(validate: ValidateFunction, value: unknown, prefix = ''): SchemaCheck {
  if (validate(value)) return { errors: [], hard: false };
  const raw = validate.errors ?? [];
  return { errors: schemaErrors(raw, prefix), hard: raw.some((e) => !SOFT_KEYWORDS.has(e.keyword)) };
}

/** Validates a raw topology (lab fields and inline objects). */
export function checkTopology(value: unknown): SchemaCheck {
  return checkWith(getValidators().topology, value);
}

/** Validates one Kubernetes object read from elsewhere (a manifest file, a later `apply`). */
export function validateObject(object: unknown, path: string): SchemaCheck {
  return checkWith(getValidators().object, object, path);
}

/** Reads a multi-document manifest file; errors are pushed to `errors` (objects with a broken shape are dropped). */
export function readManifest(
  file: string,
  displayPath: string,
  field: string | undefined,
  errors: InputError[],
  policy: ReadPolicy = newPolicy(),
): SourcedObject[] {
  const text = readText(file, field, policy);
  if (text instanceof InputError) {
    errors.push(text);
    return [];
  }
  const out: SourcedObject[] = [];
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  if (!Array.isArray(docs)) return out; // empty stream
  if (docs.length > MAX_DOCUMENTS) {
    errors.push(
      new InputError(`${displayPath} holds ${docs.length} YAML documents, more than ${MAX_DOCUMENTS}`, {
        field,
        hint: 'split it; a lab needs far fewer objects',
      }),
    );
    return out;
  }
  docs.forEach((doc, i) => {
    const path = `${displayPath}[${i}]`;
    if (doc.errors.length) {
      errors.push(...yamlErrors(doc, displayPath));
      return;
    }
    const value = docToJS(doc, displayPath, path);
    if (value instanceof InputError) {
      errors.push(value);
      return;
    }
    if (value === null || value === undefined) return; // empty document (e.g. a trailing ---)
    // Never echo what the file holds (it may not be a manifest at all): its path and the fix only.
    if (typeof value !== 'object' || Array.isArray(value)) {
      errors.push(
        new InputError(
          `${displayPath}: document ${i} is not a Kubernetes object (a YAML mapping with apiVersion, kind and metadata)`,
          { field: path, hint: 'check that the path names a manifest' },
        ),
      );
      return;
    }
    const check = validateObject(value, path);
    errors.push(...check.errors);
    if (!check.hard) out.push({ object: value as KubeObject, path });
  });
  return out;
}
