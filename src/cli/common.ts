/** Options every command takes, and how a command finds its lab and topology. */
import * as path from 'path';
import { Argv } from 'yargs';
import type { LabModel } from '../model/types';
import { checkLabName } from '../lab/origin';

/**
 * Every --name on the command line (before `--`), checked before any command runs: an empty or
 * invalid name is exit 2 naming --name and the fix, never "no name given".
 */
export function checkNameArgs(argv: string[]): void {
  const end = argv.indexOf('--');
  const args = end >= 0 ? argv.slice(0, end) : argv;
  args.forEach((a, i) => {
    if (a === '--name') checkLabName(i + 1 < args.length ? args[i + 1] : '');
    else if (a.startsWith('--name=')) checkLabName(a.slice('--name='.length));
  });
}

export interface CommonArgs {
  name?: string;
  topology?: string;
  'allow-outside'?: boolean;
}

export function withCommon<T>(y: Argv<T>): Argv<T & CommonArgs> {
  return y
    .option('name', {
      type: 'string',
      describe: 'lab name (default: the name in the topology file, or the only running lab when you started it)',
    })
    .option('topology', { alias: 't', type: 'string', describe: 'topology file (YAML)' })
    .option('allow-outside', {
      type: 'boolean',
      describe: "read manifests outside the topology file's directory tree (they are refused by default)",
    }) as Argv<T & CommonArgs>;
}

/** The project root, found from this compiled file (dist/cli) or its source (src/cli). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const GUIDE_TOPOLOGY = path.join(PROJECT_ROOT, 'topologies', 'guide.yaml');

/** The running lab a command means, and its stored model. */
export async function runningModel(args: CommonArgs): Promise<LabModel> {
  // Loaded here, not at the top: every command imports this file, `lab --help` needs none of them.
  const [{ pingEngine }, { loadTopology }, { pickLab, readModel }] = await Promise.all([
    import('../runtime/docker'),
    import('../topology/load'),
    import('../lab/state'),
  ]);
  await pingEngine();
  const fromFile = args.topology
    ? loadTopology(args.topology, { allowOutside: args['allow-outside'] }).name
    : undefined;
  return readModel(await pickLab(args.name, fromFile, GUIDE_TOPOLOGY));
}
