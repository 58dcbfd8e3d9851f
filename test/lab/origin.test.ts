import { checkLabName } from '../../src/lab/origin';
import { chooseOnlyLab } from '../../src/lab/state';
import { checkNameArgs } from '../../src/cli/common';
import { InputError, LabError } from '../../src/errors';

describe('lab names on the command line', () => {
  it('an empty --name is exit 2 naming --name and the fix, never "no name"', () => {
    for (const argv of [
      ['down', '--name', ''],
      ['down', '--name=', ''],
      ['down', '--name'],
      ['verify', '--name', '  '],
    ]) {
      let err: unknown;
      try {
        checkNameArgs(argv);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).exitCode).toBe(2);
      expect((err as InputError).field).toBe('--name');
      expect((err as InputError).hint).toMatch(/leave --name out/);
    }
  });
  it('an invalid --name is exit 2 with the DNS-1123 fix; a valid one passes', () => {
    expect(() => checkLabName('Bad_Name')).toThrow(/--name: "Bad_Name" is not a DNS-1123 label/);
    expect(checkLabName('a-guide')).toBe('a-guide');
    expect(() => checkNameArgs(['down', '--name', 'ok'])).not.toThrow();
    // after `--` the words belong to the command run in the lab
    expect(() => checkNameArgs(['exec', 'node1', '--', 'sh', '--name', ''])).not.toThrow();
  });
});

describe('the lab a command means without --name', () => {
  const me = '1000:alice';
  const guide = '/p/topologies/guide.yaml';
  it('picks the only lab when this user started it', () => {
    expect(chooseOnlyLab([{ lab: 'x', user: me, topology: '/elsewhere.yaml' }], me, guide)).toBe('x');
  });
  it('picks the only lab when it was started from the same (default) topology file', () => {
    expect(chooseOnlyLab([{ lab: 'g', user: '0:root', topology: guide }], me, guide)).toBe('g');
  });
  it("refuses someone else's lab from another file, listing it and asking for --name", () => {
    expect(() => chooseOnlyLab([{ lab: 'theirs', user: '0:root', topology: '/x.yaml' }], me, guide)).toThrow(
      /only running lab is theirs \(started by 0:root from \/x.yaml\)/,
    );
    expect(() => chooseOnlyLab([{ lab: 'old' }], me, guide)).toThrow(InputError);
  });
  it('lists several labs and asks for --name; no lab at all says so', () => {
    expect(() =>
      chooseOnlyLab(
        [
          { lab: 'a', user: me },
          { lab: 'b', user: me },
        ],
        me,
        guide,
      ),
    ).toThrow(/several labs are running: a .*, b /);
    expect(() => chooseOnlyLab([], me, guide)).toThrow(LabError);
  });
});
