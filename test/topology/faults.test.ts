import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadTopology } from '../../src/topology/load';
import { parseDuration, resolveFaults } from '../../src/topology/faults';
import { fixtureModel } from '../fixtures/model';
import { InputErrors } from '../../src/errors';

const GUIDE = join(__dirname, '..', '..', 'topologies', 'guide.yaml');

function guideWith(faults: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'faults-'));
  const file = join(dir, 'guide.yaml');
  writeFileSync(file, `${readFileSync(GUIDE, 'utf8')}\nfaults:\n${faults}\n`);
  return file;
}

function messages(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect((e as { exitCode: number }).exitCode).toBe(2);
    return e instanceof InputErrors ? e.errors.map((x) => x.message) : [(e as Error).message];
  }
  return [];
}

describe('topology faults:', () => {
  it('durations: 10s, 1.5m, 500ms, seconds; anything else is none', () => {
    expect([parseDuration('10s'), parseDuration('1.5m'), parseDuration('500ms'), parseDuration(3)]).toEqual([
      10_000, 90_000, 500, 3000,
    ]);
    expect([parseDuration('10'), parseDuration('5h'), parseDuration(-1), parseDuration(null)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('loads the guide with faults: scheduled from the model', () => {
    const m = loadTopology(
      guideWith(
        '  - {kind: node-stop, target: node2, after: 10s, duration: 30s}\n  - {kind: partition, target: node1, from: node3}',
      ),
    );
    expect(m.faults).toEqual([
      { kind: 'node-stop', target: 'node2', afterMs: 10_000, durationMs: 30_000 },
      { kind: 'partition', target: 'node1', peer: 'node3', afterMs: 0 },
    ]);
    expect(loadTopology(GUIDE).faults).toBeUndefined();
  });

  it('names the field of every bad fault at once (exit 2), as lab fault inject would', () => {
    const m = fixtureModel();
    expect(
      messages(() =>
        resolveFaults(
          [
            { kind: 'meteor', target: 'node1' },
            { kind: 'node-stop', target: 'node9' },
            { kind: 'partition', target: 'node1' },
            { kind: 'link-loss', target: 'node1', percent: 0 },
            { kind: 'node-freeze', target: 'node1', after: 'soon' },
            { kind: 'node-freeze', target: 'node1', wait: 1 },
            { target: 'node1' },
          ],
          m,
        ),
      ),
    ).toEqual([
      'faults[0].kind: unknown fault kind meteor',
      'faults[1].target: no node node9',
      'faults[2].from: no node (none given)',
      'faults[3].percent: must be a whole percent from 1 to 100, got 0',
      'faults[4].after: must be a duration, got "soon"',
      'faults[5].wait: unknown field wait',
      'faults[6].kind: needs kind and target (strings)',
    ]);
    expect(messages(() => resolveFaults({ kind: 'x' }, m))).toEqual(['faults: must be a list of faults']);
  });

  it('the schema refuses a wrong type before the resolver (exit 2, the field)', () => {
    const msgs = messages(() => loadTopology(guideWith('  - {kind: node-stop, target: node2, percent: "x"}')));
    expect(msgs.join('\n')).toMatch(/faults\[0\]\.percent/);
  });
});
