/** lab down: remove a lab (or every lab) by label; nothing there is success. */
import { Argv } from 'yargs';
import { CommonArgs, withCommon } from '../common';
import { pingEngine } from '../../runtime/docker';
import { downLab } from '../../lab/down';
import { runningLabs } from '../../lab/state';
import { loadTopology } from '../../topology/load';

interface DownArgs extends CommonArgs {
  all: boolean;
}

export const command = 'down';
export const describe = 'remove a lab and everything it created (--all: every lab)';

export function builder(y: Argv) {
  return withCommon(y).option('all', { type: 'boolean', default: false, describe: 'remove every lab on this engine' });
}

export async function handler(argv: DownArgs): Promise<void> {
  await pingEngine();
  let lab: string | undefined;
  if (!argv.all) {
    lab = argv.name ?? (argv.topology ? (await loadTopology(argv.topology)).name : undefined);
    if (!lab) {
      const labs = await runningLabs();
      if (labs.length === 0) {
        console.log('no lab is running; nothing to remove');
        return;
      }
      if (labs.length > 1) {
        console.log(`several labs are running (${labs.join(', ')}): say which with --name, or use --all`);
        process.exitCode = 2;
        return;
      }
      lab = labs[0];
    }
  }
  const n = await downLab(lab);
  console.log(n ? `removed ${n} containers of ${lab ?? 'every lab'}` : `nothing to remove for ${lab ?? 'any lab'}`);
}
