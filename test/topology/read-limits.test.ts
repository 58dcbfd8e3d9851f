import { execFileSync } from 'child_process';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadTopology } from '../../src/topology/load';
import { MAX_ALIAS_COUNT, MAX_FILE_BYTES } from '../../src/topology/read-limits';
import { InputError } from '../../src/errors';
import { errorAt, errorsOf } from './helpers';

const BASE = 'name: t\nnodes:\n  - name: node1\n';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'limits-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Loads a topology whose manifests list is `manifests`; returns the error at manifests[0] (exit 2, field, fix). */
function manifestError(manifests: string[], files: Record<string, string> = {}, setup?: (dir: string) => void) {
  const dir = dirWith({ 'lab/lab.yaml': `${BASE}manifests: ${JSON.stringify(manifests)}\n`, ...files });
  setup?.(dir);
  const errs = errorsOf(() => loadTopology(join(dir, 'lab/lab.yaml')));
  return { dir, errs };
}

describe('manifest reads are bounded and never echo content', () => {
  it('refuses /dev/zero (a character device) at once', () => {
    const { errs } = manifestError(['/dev/zero']);
    const e = errorAt(errs, 'manifests[0]');
    expect(e.message).toMatch(/\/dev\/zero is a character device, not a regular file/);
    expect(e.exitCode).toBe(2);
    expect(e.hint).toBeTruthy();
  });
  it('refuses a FIFO without opening it (no hang)', () => {
    const { errs } = manifestError(['pipe'], {}, (dir) => execFileSync('mkfifo', [join(dir, 'lab/pipe')]));
    expect(errorAt(errs, 'manifests[0]').message).toMatch(/pipe is a FIFO, not a regular file/);
  });
  it('refuses a directory', () => {
    const { errs } = manifestError(['sub'], { 'lab/sub/x.yaml': 'a: 1\n' });
    expect(errorAt(errs, 'manifests[0]').message).toMatch(/sub is a directory/);
  });
  it('refuses a file outside the topology directory, and does not print its content', () => {
    const secret = 'root:x:0:0:SECRET-CONTENT:/root:/bin/bash';
    const { errs } = manifestError(['../outside.yaml'], { 'outside.yaml': `${secret}\n` });
    const e = errorAt(errs, 'manifests[0]');
    expect(e.message).toMatch(/outside\.yaml is outside the topology file's directory/);
    expect(e.hint).toMatch(/--allow-outside/);
    for (const x of errs) expect(`${x.message} ${x.hint}`).not.toContain('SECRET-CONTENT');
  });
  it('a symlink inside the tree that points outside is outside', () => {
    const { errs } = manifestError(['link.yaml'], { 'target.yaml': 'kind: x\n' }, (dir) =>
      symlinkSync(join(dir, 'target.yaml'), join(dir, 'lab/link.yaml')),
    );
    expect(errorAt(errs, 'manifests[0]').message).toMatch(/is outside the topology file's directory/);
  });
  it('--allow-outside reads it, and a non-object file is named without its content', () => {
    const dir = dirWith({
      'lab/lab.yaml': `${BASE}manifests: [../passwd]\n`,
      passwd: 'root:x:0:0:SECRET-CONTENT:/root:/bin/bash\n',
    });
    const errs = errorsOf(() => loadTopology(join(dir, 'lab/lab.yaml'), { allowOutside: true }));
    const e = errs.find((x) => x.message.includes('is not a Kubernetes object'))!;
    expect(e.field).toBe('../passwd[0]');
    for (const x of errs) expect(`${x.message} ${x.hint}`).not.toContain('SECRET');
  });
  it(`refuses a file over ${MAX_FILE_BYTES / 1048576} MiB before parsing it`, () => {
    const big = `# ${'x'.repeat(MAX_FILE_BYTES)}\n`;
    const { errs } = manifestError(['big.yaml'], { 'lab/big.yaml': big });
    expect(errorAt(errs, 'manifests[0]').message).toMatch(/big\.yaml is larger than 4 MiB/);
  });
  it('bounds YAML alias expansion and names the file (an alias bomb is exit 2, not a crash)', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const { errs } = manifestError(['bomb.yaml'], { 'lab/bomb.yaml': levels.join('\n') + '\n' });
    const e = errorAt(errs, 'bomb.yaml[0]');
    expect(e.message).toMatch(new RegExp(`bomb\\.yaml: YAML aliases expand too much \\(more than ${MAX_ALIAS_COUNT}`));
    expect(e).toBeInstanceOf(InputError);
  });
  it('the topology file itself: an alias bomb or a FIFO is exit 2 too', () => {
    const dir = dirWith({});
    execFileSync('mkfifo', [join(dir, 'lab.yaml')]);
    expect(errorsOf(() => loadTopology(join(dir, 'lab.yaml')))[0].message).toMatch(/is a FIFO/);
  });
});
