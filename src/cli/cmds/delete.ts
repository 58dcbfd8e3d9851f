/** lab delete pod NAME: the kubelet stops it; a Deployment's ReplicaSet replaces it with a new pod. */
import { Argv } from 'yargs';
import { CommonArgs, runningModel, withCommon } from '../common';
import { deletePod } from '../../lab/workload-ops';
import { reconcile } from '../../lab/reconcile';
import { InputError } from '../../errors';

interface DeleteArgs extends CommonArgs {
  kind: string;
  objname: string;
  namespace: string;
}

export const command = 'delete <kind> <objname>';
export const describe = 'delete a pod of the running lab (a Deployment replaces it with a new one)';

export function builder(y: Argv) {
  return withCommon(y)
    .positional('kind', { type: 'string', demandOption: true, describe: 'what to delete: pod' })
    .positional('objname', { type: 'string', demandOption: true, describe: 'its name' })
    .option('namespace', { alias: 'n', type: 'string', default: 'default', describe: 'namespace of the pod' });
}

export async function handler(argv: DeleteArgs): Promise<void> {
  if (!['pod', 'pods', 'po'].includes(argv.kind))
    throw new InputError(`cannot delete "${argv.kind}"`, {
      field: 'kind',
      hint: 'only pods can be deleted: lab delete pod NAME (change Deployments with lab scale, everything else with lab apply)',
    });
  const model = await runningModel(argv);
  const change = deletePod(model, String(argv.objname), argv.namespace);
  const log = (m: string) => console.log(`[${model.name}] ${m}`);
  await reconcile(model, change.model, change.added, change.removed, log);
}
