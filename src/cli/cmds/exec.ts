/** lab exec TARGET -- CMD...: run a command in a node, a pod's namespace, or a lab container. */
import { Argv } from 'yargs';
import { CommonArgs, runningModel, withCommon } from '../common';
import { resolveTarget, userArgv } from '../../plan/targets';
import { execStream } from '../../runtime/exec-stream';
import { InputError } from '../../errors';

interface ExecArgs extends CommonArgs {
  target: string;
  cmd?: string[];
}

export const command = 'exec <target> [cmd..]';
export const describe = "run a command in NODE, NODE/POD (the pod's network namespace) or a lab container such as vpc";

export function builder(y: Argv) {
  return withCommon(y)
    .positional('target', {
      type: 'string',
      demandOption: true,
      describe: 'NODE, NODE/POD, NODE/NAMESPACE/POD, POD or vpc',
    })
    .positional('cmd', { type: 'string', array: true, describe: 'command and arguments (after --)' });
}

export async function handler(argv: ExecArgs & { '--'?: string[] }): Promise<void> {
  const cmd = [...(argv.cmd ?? []), ...(argv['--'] ?? [])].map(String);
  if (cmd.length === 0)
    throw new InputError('no command given', { field: 'cmd', hint: 'e.g. lab exec node1/pod1 -- ip addr' });
  const model = await runningModel(argv);
  const t = resolveTarget(model, argv.target);
  process.exitCode = await execStream(t.container, userArgv(model, t, cmd));
}
