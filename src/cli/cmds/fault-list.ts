/** lab fault list: the faults active on a lab. */
import { Argv } from 'yargs';
import { CommonArgs, GUIDE_TOPOLOGY, withCommon } from '../common';
import { pingEngine } from '../../runtime/docker';
import { loadTopology } from '../../topology/load';
import { pickLab, readModel } from '../../lab/state';
import { readFaults } from '../../lab/faults/store';
import { renderFaultList } from '../../faults/list';

export const command = 'list';
export const describe = 'list the active faults';

export function builder(y: Argv) {
  return withCommon(y).option('json', { type: 'boolean', default: false, describe: 'print the records as JSON' });
}

export async function handler(argv: CommonArgs & { json: boolean }): Promise<void> {
  await pingEngine();
  const lab = await pickLab(
    argv.name,
    argv.topology ? loadTopology(argv.topology, { allowOutside: argv['allow-outside'] }).name : undefined,
    GUIDE_TOPOLOGY,
  );
  const s = await readFaults((await readModel(lab)).vpc.container);
  console.log(argv.json ? JSON.stringify(s.active, null, 1) : renderFaultList(s.active, new Date()));
}
