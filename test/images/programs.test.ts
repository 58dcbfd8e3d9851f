/** Every program the renderers copy into containers is a file under images/ that Python compiles. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Program, PROGRAMS, programSource } from '../../src/images/programs';

const ROOT = path.resolve(__dirname, '../..');

describe('programs under images/', () => {
  it.each(Object.keys(PROGRAMS) as Program[])('%s: a file, read as it is, that python3 compiles', (p) => {
    const file = path.join(ROOT, PROGRAMS[p]);
    expect(programSource(p)).toBe(fs.readFileSync(file, 'utf8'));
    const r = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])', file], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  it('a program that does not exist is an error naming it', () => {
    expect(() => programSource('nope' as Program)).toThrow(/^unknown program nope: one of lbChecker, /);
  });
});
