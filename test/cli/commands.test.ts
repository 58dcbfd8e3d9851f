import { spawnSync } from 'child_process';
import * as path from 'path';
import { COMMANDS } from '../../src/cli/commands';

const ROOT = path.resolve(__dirname, '..', '..');

describe('lazy command table', () => {
  it.each(COMMANDS.map((c) => [c.command, c] as const))('%s: name and description are the module’s', (_, c) => {
    const m = c.load();
    expect(c.command).toBe(m.command);
    expect(c.describe).toBe(m.describe);
    expect(typeof m.builder).toBe('function');
    expect(typeof m.handler).toBe('function');
  });

  it('lab --help loads none of the heavy modules (dockerode, ajv, yaml, runtime, lab, trace, ui)', () => {
    // The compiled tree is what bin/lab.js runs (npm test builds it first); yargs exits after --help.
    const heavy = String.raw`/node_modules\/(dockerode|ajv|yaml)\/|dist\/(trace|ui|runtime|graph)\/|dist\/topology\/(load|schema|resolve)\.|dist\/lab\/(up|verify|state|trace)\./`;
    const script = `
      process.on('exit', () => {
        const loaded = Object.keys(require.cache).filter((f) => ${heavy}.test(f));
        console.error('LOADED ' + JSON.stringify(loaded));
      });
      require(${JSON.stringify(path.join(ROOT, 'dist/cli/index.js'))}).main(['--help']);`;
    const r = spawnSync('node', ['-e', script], { encoding: 'utf8' });
    const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
    expect(r.stdout).toContain('lab up');
    expect(JSON.parse(line!.slice('LOADED '.length))).toEqual([]);
  });
});
