/** `lab graph` as a user runs it, from the topology file alone (no engine needed). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import { graphFormat } from '../../src/cli/cmds/graph';
import { InputError } from '../../src/errors';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'lab.js');
const GUIDE = path.join(ROOT, 'topologies', 'guide.yaml');

describe('lab graph', () => {
  it('takes the format from --format, else the file extension, else Mermaid', () => {
    expect(graphFormat(undefined, undefined)).toBe('mermaid');
    expect(graphFormat(undefined, 'a/b.GV')).toBe('dot');
    expect(graphFormat(undefined, 'x.html')).toBe('html');
    expect(graphFormat('dot', 'x.svg')).toBe('dot');
    expect(() => graphFormat(undefined, 'x.txt')).toThrow(InputError);
  });

  it('prints Mermaid of the guide file; an output it cannot name is exit 2 naming --output, and nothing is written', async () => {
    const ok = await execa('node', [BIN, 'graph', '-t', GUIDE], { reject: false });
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.split('\n')[0]).toBe('flowchart LR');
    expect(ok.stdout).toContain('10.244.2.2');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-'));
    const bad = await execa('node', [BIN, 'graph', '-t', GUIDE, '-o', path.join(dir, 'x.txt')], { reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error: output: cannot tell the format/m);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
