/** lab scale DEPLOYMENT --replicas N: the Deployment controller adds or removes pods. */
import { Argv } from 'yargs';
import { CommonArgs, runningModel, withCommon } from '../common';
import { scaleDeployment } from '../../lab/workload-ops';
import { reconcile } from '../../lab/reconcile';

interface ScaleArgs extends CommonArgs {
  deployment: string;
  replicas: number;
  namespace: string;
}

export const command = 'scale <deployment>';
export const describe = 'set the number of replicas of a Deployment in the running lab';

export function builder(y: Argv) {
  return withCommon(y)
    .positional('deployment', { type: 'string', demandOption: true, describe: 'Deployment name' })
    .option('replicas', { type: 'number', demandOption: true, describe: 'desired number of pods' })
    .option('namespace', { alias: 'n', type: 'string', default: 'default', describe: 'namespace of the Deployment' });
}

export async function handler(argv: ScaleArgs): Promise<void> {
  const model = await runningModel(argv);
  const change = scaleDeployment(model, argv.deployment, argv.namespace, argv.replicas);
  const log = (m: string) => console.log(`[${model.name}] ${m}`);
  const before = model.pods.filter((p) => p.namespace === argv.namespace && p.owner === argv.deployment).length;
  log(`deployment ${argv.namespace}/${argv.deployment}: ${before} -> ${argv.replicas} replicas`);
  await reconcile(model, change.model, change.added, change.removed, log);
}
