import yargs from 'yargs';
import { builder } from '../../src/cli/cmds/watch';

const parse = (args: string[]) =>
  builder(yargs(args)).parseSync() as unknown as { eviction: boolean; 'node-repair': boolean };

describe('lab watch options', () => {
  it('eviction is on by default, as in Kubernetes', () => expect(parse([]).eviction).toBe(true));
  it('--no-eviction turns it off', () => expect(parse(['--no-eviction']).eviction).toBe(false));
  it('node repair is on by default; --no-node-repair turns it off', () => {
    expect(parse([])['node-repair']).toBe(true);
    expect(parse(['--no-node-repair'])['node-repair']).toBe(false);
  });
});
