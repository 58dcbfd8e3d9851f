/** lab status: nodes, pods with node and IP, links; --json for scripts. */
import { Argv } from 'yargs';
import { CommonArgs, runningModel, withCommon } from '../common';
import { labStatus, renderStatus } from '../../lab/status';

export const command = 'status';
export const describe = 'show the running lab: nodes, pods (node, IP, processes), services, links';

export function builder(y: Argv) {
  return withCommon(y).option('json', { type: 'boolean', default: false, describe: 'print JSON' });
}

export async function handler(argv: CommonArgs & { json: boolean }): Promise<void> {
  const s = await labStatus(await runningModel(argv));
  console.log(argv.json ? JSON.stringify(s, null, 2) : renderStatus(s));
}
