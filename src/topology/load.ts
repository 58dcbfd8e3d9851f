/**
 * Phase one of loading a topology: read the file and its manifests, parse YAML, validate against
 * the JSON Schema, and return the raw typed topology. Every problem found is collected and thrown
 * together as InputErrors. Synchronous: the files are small and callers need the model up front.
 */
import { resolveFaults } from './faults';
import { dirname, isAbsolute, resolve as resolvePath } from 'path';
import YAML from 'yaml';
import { InputError, InputErrors } from '../errors';
import type { LabModel } from '../model/types';
import type { RawTopology, SourcedObject, TopologyOverrides } from './raw';
import { resolveTopology } from './resolve';
import { checkTopology, docToJS, readManifest, readText, yamlErrors } from './validate';
import { newPolicy } from './read-limits';

export interface LoadedTopology {
  raw: RawTopology;
  /** Inline objects and the objects of every manifest, in file order, with their paths. */
  objects: SourcedObject[];
  source: string;
  baseDir: string;
  /** Problems found in manifests (objects with a broken shape are left out of `objects`). */
  errors: InputError[];
}

/**
 * Phase one: file -> raw topology and its objects. Throws InputErrors when the file cannot be
 * read or parsed or its shape is broken; value problems are left for resolveTopology() to report
 * together with its own.
 */
export function loadRawTopology(file: string, opts: { allowOutside?: boolean } = {}): LoadedTopology {
  const source = resolvePath(file);
  const baseDir = dirname(source);
  // One budget for the whole load; manifests must lie under the topology's directory (read-limits.ts).
  const policy = newPolicy();
  const text = readText(source, undefined, policy);
  if (text instanceof InputError) throw new InputErrors([text]);
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) throw new InputErrors(yamlErrors(doc, file));
  const value = docToJS(doc, file, undefined);
  if (value instanceof InputError) throw new InputErrors([value]);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new InputErrors([
      new InputError(`${file}: the topology must be a YAML mapping (name:, nodes:, ...)`, {
        hint: 'see topologies/guide.yaml for an example',
      }),
    ]);
  // Bad values are reported with the resolver's findings; a broken shape stops here.
  const check = checkTopology(value);
  if (check.hard) throw new InputErrors(check.errors);
  const errors: InputError[] = [];
  const raw = value as RawTopology;
  const objects: SourcedObject[] = (raw.objects ?? []).map((object, i) => ({ object, path: `objects[${i}]` }));
  (raw.manifests ?? []).forEach((m, i) => {
    const abs = isAbsolute(m) ? m : resolvePath(baseDir, m);
    objects.push(
      ...readManifest(abs, m, `manifests[${i}]`, errors, {
        within: opts.allowOutside ? undefined : baseDir,
        budget: policy.budget,
      }),
    );
  });
  return { raw, objects, source, baseDir, errors };
}

/** Loads a topology file into the resolved lab model (synchronous). Throws InputErrors (exit 2). */
export function loadTopology(file: string, overrides: TopologyOverrides = {}): LabModel {
  const loaded = loadRawTopology(file, { allowOutside: overrides.allowOutside });
  const model = resolveTopology(loaded.raw, {
    source: loaded.source,
    baseDir: loaded.baseDir,
    overrides,
    objects: loaded.objects,
    objectErrors: loaded.errors,
  });
  const faults = resolveFaults((loaded.raw as { faults?: unknown }).faults, model);
  return faults.length ? { ...model, faults } : model;
}
