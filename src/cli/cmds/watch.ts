/** lab watch: the kubelet, endpoints controller and kube-proxy loop of a running lab, until Ctrl-C. */
import { Argv } from 'yargs';
import { CommonArgs, GUIDE_TOPOLOGY, withCommon } from '../common';
import { pingEngine } from '../../runtime/docker';
import { loadTopology } from '../../topology/load';
import { pickLab, readModel } from '../../lab/state';
import { watchLab } from '../../lab/watch/loop';
import { InputError } from '../../errors';
import { faultEvents, renderEventJson, renderTimelineLine, WatchEvent } from '../../report/timeline';
import { readFaults } from '../../lab/faults/store';
import { startFaultSchedule } from '../../lab/faults/schedule';
import { clearFaults, injectFault } from '../../lab/faults/apply';

interface WatchArgs extends CommonArgs {
  interval: number;
  once: boolean;
  cniCheck: number;
  'time-scale': number;
  eviction: boolean;
  'node-repair': boolean;
  timeline: boolean;
  json: boolean;
}

export const command = 'watch';
export const describe =
  "run the control loop: restart dead containers, drop unready pods from every node's proxy rules (Ctrl-C stops)";

export function builder(y: Argv) {
  return withCommon(y)
    .option('interval', { type: 'number', default: 0.5, describe: 'seconds between observations' })
    .option('once', { type: 'boolean', default: false, describe: 'run one iteration and exit' })
    .option('cni-check', {
      type: 'number',
      default: 10,
      describe: "seconds between CNI CHECKs of every pod's network (0 never)",
    })
    .option('eviction', {
      type: 'boolean',
      default: true,
      describe:
        "evict the pods of a node NotReady for the not-ready toleration (300 s x time-scale), as Kubernetes does by default; Deployments' pods are recreated on a Ready node, bare pods are gone (--no-eviction: never)",
    })
    .option('node-repair', {
      type: 'boolean',
      default: true,
      describe:
        'a node container running again without its links (docker restart, the engine restarting): re-plumb it (links, node network, CNI, pods, rules) as lab up does (--no-node-repair: leave it to lab up)',
    })
    .option('time-scale', {
      type: 'number',
      default: 1,
      describe:
        "multiplies Kubernetes' timings (node-monitor-grace-period 50s, CrashLoopBackOff 10s..5min): 0.1 is 10 x faster",
    })
    .option('timeline', {
      type: 'boolean',
      default: false,
      describe: 'print the convergence timeline: events relative to the last fault',
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print timeline events as JSON lines (with --timeline or alone)',
    });
}

export async function handler(argv: WatchArgs): Promise<void> {
  if (!(argv.interval > 0) || argv.interval > 3600)
    throw new InputError(`must be a number of seconds above 0, got ${argv.interval}`, {
      field: '--interval',
      hint: 'e.g. --interval 0.5',
    });
  if (!(argv.cniCheck >= 0) || argv.cniCheck > 3600)
    throw new InputError(`must be a number of seconds, 0 or more, got ${argv.cniCheck}`, {
      field: '--cni-check',
      hint: 'e.g. --cni-check 10, or 0 to never check',
    });
  await pingEngine();
  const lab = await pickLab(
    argv.name,
    argv.topology ? loadTopology(argv.topology, { allowOutside: argv['allow-outside'] }).name : undefined,
    GUIDE_TOPOLOGY,
  );
  if (!(argv['time-scale'] > 0) || argv['time-scale'] > 10)
    throw new InputError(`must be a factor above 0 and at most 10, got ${argv['time-scale']}`, {
      field: '--time-scale',
      hint: 'e.g. --time-scale 0.1 for 10 x faster timings',
    });
  const model = await readModel(lab); // fails early, with its hint, when the lab is not running
  const control: { stopped: boolean; wake?: () => void } = { stopped: false };
  const stop = () => {
    if (control.stopped) process.exit(130);
    control.stopped = true;
    control.wake?.();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const events = argv.timeline || argv.json;
  if (!argv.once && !argv.json)
    console.log(`watching lab ${lab} every ${argv.interval}s, time-scale ${argv['time-scale']} (Ctrl-C stops)`);
  // The timeline: fault records are polled from the lab (another shell injects them); times are
  // relative to the latest fault injected.
  let t0: number | undefined;
  const seen = new Set<string>();
  const print = (e: WatchEvent) => {
    if (e.kind === 'fault-injected') t0 = e.at;
    if (argv.json) console.log(renderEventJson(e, t0));
    else if (argv.timeline) console.log(renderTimelineLine(e, t0 ?? e.at));
  };
  const pollFaults = async () => {
    try {
      for (const e of faultEvents(await readFaults(model.vpc.container), seen)) print(e);
    } catch {
      // the lab is going away: the watch loop says so
    }
  };
  // Faults cleared before this watch began are history: not printed.
  if (events) {
    const s0 = await readFaults(model.vpc.container).catch(() => undefined);
    for (const f of s0?.cleared ?? []) seen.add(`${f.id}:injected`).add(`${f.id}:cleared`);
    await pollFaults();
  }
  const poller = events ? setInterval(() => void pollFaults(), 500) : undefined;
  // The topology's faults: section, from this watch's start.
  const schedule =
    model.faults?.length && !argv.once
      ? startFaultSchedule(model.faults, {
          inject: (r) => injectFault(model, r),
          clear: async (id) => void (await clearFaults(model, { id })),
          log: (l) => (events ? process.stderr : process.stdout).write(`${l}\n`),
        })
      : undefined;
  try {
    const s = await watchLab({
      lab,
      intervalMs: argv.interval * 1000,
      once: argv.once,
      control,
      cniCheckMs: argv.cniCheck * 1000,
      timeScale: argv['time-scale'],
      eviction: argv.eviction,
      repair: argv['node-repair'],
      // With --timeline/--json the loop's own lines go to stderr, the events to stdout.
      ...(events ? { onEvent: print, log: (l: string) => process.stderr.write(`${l}\n`) } : {}),
    });
    if (!argv.once)
      console.log(
        `watch stopped: ${s.iterations} iterations, ${s.syncs} proxy syncs, ${s.restarts} container restarts, ${s.cniChecks} CNI CHECK rounds (${s.cniFailures} failed pod checks), ${s.heartbeatRounds} heartbeat rounds (longest ${s.longestHeartbeatMs} ms)`,
      );
  } finally {
    if (poller) clearInterval(poller);
    schedule?.stop();
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}
