/** lab watch: the kubelet, endpoints controller and kube-proxy loop of a running lab, until Ctrl-C. */
import { Argv } from 'yargs';
import { CommonArgs, GUIDE_TOPOLOGY, withCommon } from '../common';
import { pingEngine } from '../../runtime/docker';
import { loadTopology } from '../../topology/load';
import { pickLab, readModel } from '../../lab/state';
import { watchLab } from '../../lab/watch';
import { InputError } from '../../errors';

interface WatchArgs extends CommonArgs {
  interval: number;
  once: boolean;
  cniCheck: number;
}

export const command = 'watch';
export const describe = 'run the control loop: restart dead containers, drop unready pods from every node\'s proxy rules (Ctrl-C stops)';

export function builder(y: Argv) {
  return withCommon(y)
    .option('interval', { type: 'number', default: 0.5, describe: 'seconds between observations' })
    .option('once', { type: 'boolean', default: false, describe: 'run one iteration and exit' })
    .option('cni-check', { type: 'number', default: 10, describe: 'seconds between CNI CHECKs of every pod\'s network (0 never)' });
}

export async function handler(argv: WatchArgs): Promise<void> {
  if (!(argv.interval > 0) || argv.interval > 3600)
    throw new InputError(`must be a number of seconds above 0, got ${argv.interval}`, { field: '--interval', hint: 'e.g. --interval 0.5' });
  if (!(argv.cniCheck >= 0) || argv.cniCheck > 3600)
    throw new InputError(`must be a number of seconds, 0 or more, got ${argv.cniCheck}`, { field: '--cni-check', hint: 'e.g. --cni-check 10, or 0 to never check' });
  await pingEngine();
  const lab = await pickLab(argv.name, argv.topology ? loadTopology(argv.topology, { allowOutside: argv['allow-outside'] }).name : undefined, GUIDE_TOPOLOGY);
  await readModel(lab); // fails early, with its hint, when the lab is not running
  const control: { stopped: boolean; wake?: () => void } = { stopped: false };
  const stop = () => {
    if (control.stopped) process.exit(130);
    control.stopped = true;
    control.wake?.();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (!argv.once) console.log(`watching lab ${lab} every ${argv.interval}s (Ctrl-C stops)`);
  try {
    const s = await watchLab({ lab, intervalMs: argv.interval * 1000, once: argv.once, control, cniCheckMs: argv.cniCheck * 1000 });
    if (!argv.once) console.log(`watch stopped: ${s.iterations} iterations, ${s.syncs} proxy syncs, ${s.restarts} container restarts, ${s.cniChecks} CNI CHECK rounds (${s.cniFailures} failed pod checks)`);
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}
