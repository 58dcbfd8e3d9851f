/** Topology file -> LabModel. See load.ts (phase one) and resolve.ts (phase two). */
export { loadTopology, loadRawTopology } from './load';
export type { LoadedTopology } from './load';
export { resolveTopology } from './resolve';
export type { ResolveOptions } from './resolve';
export { topologySchema, writeSchemaFile, schemaFileText } from './schema';
export { validateObject } from './validate';
export type * from './raw';
