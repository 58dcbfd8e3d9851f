/** Options every command takes, and how a command finds its lab and topology. */
import * as path from 'path';
import { Argv } from 'yargs';
import { LabModel } from '../model/types';
import { loadTopology } from '../topology/load';
import { pickLab, readModel } from '../lab/state';
import { pingEngine } from '../runtime/docker';

export interface CommonArgs {
  name?: string;
  topology?: string;
}

export function withCommon<T>(y: Argv<T>): Argv<T & CommonArgs> {
  return y
    .option('name', { type: 'string', describe: 'lab name (default: the name in the topology file, or the only running lab)' })
    .option('topology', { alias: 't', type: 'string', describe: 'topology file (YAML)' }) as Argv<T & CommonArgs>;
}

/** The project root, found from this compiled file (dist/cli) or its source (src/cli). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const GUIDE_TOPOLOGY = path.join(PROJECT_ROOT, 'topologies', 'guide.yaml');

/** The running lab a command means, and its stored model. */
export async function runningModel(args: CommonArgs): Promise<LabModel> {
  await pingEngine();
  const fromFile = args.topology ? (await loadTopology(args.topology)).name : undefined;
  return readModel(await pickLab(args.name, fromFile));
}
