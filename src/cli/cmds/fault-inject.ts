/** lab fault inject KIND TARGET: break something on a running lab, recorded in the lab. */
import { Argv } from 'yargs';
import { CommonArgs, GUIDE_TOPOLOGY, withCommon } from '../common';
import { pingEngine } from '../../runtime/docker';
import { loadTopology } from '../../topology/load';
import { pickLab, readModel } from '../../lab/state';
import { injectFault } from '../../lab/faults/apply';
import { FAULT_KINDS } from '../../faults/render';

interface InjectArgs extends CommonArgs {
  kind: string;
  target: string;
  from?: string;
  percent?: number;
}

export const command = 'inject <kind> <target>';
export const describe = `inject a fault: ${FAULT_KINDS.join(', ')} (TARGET: a node; ns/pod for pod-kill and pod-unready; all or ns/pod for dns-down)`;

export function builder(y: Argv) {
  return withCommon(y)
    .positional('kind', { type: 'string', demandOption: true, describe: FAULT_KINDS.join(' | ') })
    .positional('target', {
      type: 'string',
      demandOption: true,
      describe: 'node name (pod-kill, pod-unready: namespace/pod; dns-down: all or namespace/pod)',
    })
    .option('from', { type: 'string', describe: 'partition: the other node' })
    .option('percent', { type: 'number', describe: 'link-loss: percent of packets dropped each way (1-100)' });
}

export async function handler(argv: InjectArgs): Promise<void> {
  await pingEngine();
  const lab = await pickLab(
    argv.name,
    argv.topology ? loadTopology(argv.topology, { allowOutside: argv['allow-outside'] }).name : undefined,
    GUIDE_TOPOLOGY,
  );
  const model = await readModel(lab);
  const f = await injectFault(model, { kind: argv.kind, target: argv.target, peer: argv.from, percent: argv.percent });
  console.log(`${f.id} ${f.kind} ${f.target}${f.peer ? ` | ${f.peer}` : ''} injected at ${f.injectedAt}: ${f.detail}`);
}
