/** lab down: remove a lab (or every lab) by label; nothing there is success. */
import { Argv } from 'yargs';
import { CommonArgs, GUIDE_TOPOLOGY, withCommon } from '../common';
import { pingEngine } from '../../runtime/docker';
import { downAllLabs, downLab } from '../../lab/down';
import { pickLab, runningLabs } from '../../lab/state';
import { loadTopology } from '../../topology/load';
import { InputError } from '../../errors';

interface DownArgs extends CommonArgs {
  all: boolean;
}

export const command = 'down';
export const describe = 'remove a lab and everything it created (--all: every lab)';

export function builder(y: Argv) {
  return withCommon(y).option('all', { type: 'boolean', default: false, describe: 'remove every lab on this engine' });
}

export async function handler(argv: DownArgs): Promise<void> {
  if (argv.all && (argv.name !== undefined || argv.topology !== undefined))
    throw new InputError('--all removes every lab; it does not combine with --name or --topology', {
      field: '--all',
      hint: 'drop --all to remove one lab',
    });
  await pingEngine();
  if (argv.all) {
    const n = await downAllLabs((m) => console.log(m));
    console.log(n ? `removed ${n} containers of every lab` : 'nothing to remove for any lab');
    return;
  }
  if (argv.name === undefined && argv.topology === undefined && (await runningLabs()).length === 0) {
    console.log('no lab is running; nothing to remove');
    return;
  }
  // --name, else the topology's name, else the only lab when this user or the guide started it.
  const lab = await pickLab(
    argv.name,
    argv.topology ? loadTopology(argv.topology, { allowOutside: argv['allow-outside'] }).name : undefined,
    GUIDE_TOPOLOGY,
  );
  const n = await downLab(lab, (m) => console.log(`[${lab}] ${m}`));
  console.log(n ? `removed ${n} containers of ${lab}` : `nothing to remove for ${lab}`);
}
