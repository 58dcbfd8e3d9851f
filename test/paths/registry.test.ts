import * as fs from 'fs';
import * as path from 'path';
import { PATHS, pathIds, tracePlan } from '../../src/paths';
import { guidePath, GuidePath, PathDef } from '../../src/paths/common/types';
import { TracePathDef } from '../../src/paths/common/trace';
import { fixtureModel } from '../fixtures/model';

const SRC = path.join(__dirname, '../../src/paths');
const isGuidePath = (x: unknown): x is GuidePath =>
  typeof x === 'object' && x !== null && 'probes' in x && 'trace' in x && typeof (x as GuidePath).id === 'string';

describe('path registry (src/paths/index.ts)', () => {
  it('every path module has probes and a trace plan under one ID', () => {
    for (const p of PATHS) {
      expect(typeof p.probes).toBe('function');
      expect(typeof p.trace.plan).toBe('function');
      expect({ id: p.id, trace: p.trace.id }).toEqual({ id: p.id, trace: p.id });
      expect(p.title.length).toBeGreaterThan(10);
      expect(p.trace.title.length).toBeGreaterThan(10);
    }
    expect(new Set(pathIds()).size).toBe(PATHS.length);
  });

  it('lists every path module under src/paths/ (a folder not in the registry is a path verify never runs)', () => {
    const dirs = fs.readdirSync(SRC).filter((d) => d !== 'common' && fs.statSync(path.join(SRC, d)).isDirectory());
    const found: string[] = [];
    for (const d of dirs) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- each folder is loaded by its path on disk
      for (const x of Object.values(require(path.join(SRC, d)) as Record<string, unknown>)) {
        if (isGuidePath(x)) found.push(x.id);
      }
    }
    expect(dirs.length).toBeGreaterThan(0);
    expect([...found].sort()).toEqual([...pathIds()].sort());
    for (const d of dirs) {
      for (const f of ['index.ts', 'probes.ts', 'trace.ts']) expect(fs.existsSync(path.join(SRC, d, f))).toBe(true);
    }
  });

  it('joins probes and plan only when their IDs agree', () => {
    const verify: PathDef = { id: 'a', title: 'path a', probes: () => [] };
    const trace = (id: string): TracePathDef => ({ id, title: 'trace', plan: () => ({}) as never });
    expect(guidePath(verify, trace('a')).trace.id).toBe('a');
    expect(() => guidePath(verify, trace('b'))).toThrow(/path a: its trace plan is for b/);
  });

  it('traces by ID and names the known paths for an unknown one', () => {
    expect(tracePlan(fixtureModel(), 'pod-to-pod-cross-node', 'k8s-netlab-trace-0123abcd').path).toBe(
      'pod-to-pod-cross-node',
    );
    expect(() => tracePlan(fixtureModel(), 'nope')).toThrow(/unknown path "nope"/);
  });
});
