/** lab fault clear ID | --all: undo faults. */
import { Argv } from 'yargs';
import { CommonArgs, GUIDE_TOPOLOGY, withCommon } from '../common';
import { pingEngine } from '../../runtime/docker';
import { loadTopology } from '../../topology/load';
import { pickLab, readModel } from '../../lab/state';
import { clearFaults } from '../../lab/faults/apply';
import { InputError } from '../../errors';

export const command = 'clear [id]';
export const describe = 'undo a fault (or --all)';

export function builder(y: Argv) {
  return withCommon(y)
    .positional('id', { type: 'string', describe: 'fault id from lab fault list (f1, ...)' })
    .option('all', { type: 'boolean', default: false, describe: 'clear every active fault' });
}

export async function handler(argv: CommonArgs & { id?: string; all: boolean }): Promise<void> {
  if (!argv.id && !argv.all)
    throw new InputError('say which fault', { field: 'ID', hint: 'lab fault clear f1, or lab fault clear --all' });
  await pingEngine();
  const lab = await pickLab(
    argv.name,
    argv.topology ? loadTopology(argv.topology, { allowOutside: argv['allow-outside'] }).name : undefined,
    GUIDE_TOPOLOGY,
  );
  const done = await clearFaults(await readModel(lab), argv.all ? { all: true } : { id: argv.id });
  for (const d of done)
    console.log(`${d.fault.id} ${d.fault.kind} ${d.fault.target} cleared${d.note ? `; ${d.note}` : ''}`);
  if (done.length === 0) console.log('no active fault');
}
