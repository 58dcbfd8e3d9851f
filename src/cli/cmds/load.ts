/** lab load TARGET: a steady, bounded stream of requests to a Service, measured per second. */
import { Argv } from 'yargs';
import { CommonArgs, GUIDE_TOPOLOGY, withCommon } from '../common';
import { pingEngine } from '../../runtime/docker';
import { loadTopology } from '../../topology/load';
import { pickLab, readModel } from '../../lab/state';
import { planLoad } from '../../lab/load/plan';
import { runLoad } from '../../lab/load/run';
import { renderLoadReport } from '../../lab/load/report';
import { readFaults } from '../../lab/faults/store';
import { InputError } from '../../errors';

interface LoadArgs extends CommonArgs {
  target: string;
  rate: number;
  duration: number;
  timeout: number;
  from: string;
  json: boolean;
}

export const command = 'load <target>';
export const describe =
  'send a steady stream of requests to a Service (from a pod on each node, or from the Internet to its LoadBalancer) and report success, errors by kind and outages per second';

export function builder(y: Argv) {
  return withCommon(y)
    .positional('target', { type: 'string', demandOption: true, describe: 'Service: name or namespace/name' })
    .option('rate', { type: 'number', default: 10, describe: 'requests per second from each source (1-50)' })
    .option('duration', { type: 'number', default: 30, describe: 'seconds (1-600)' })
    .option('timeout', { type: 'number', default: 1, describe: 'seconds before a request counts as a timeout' })
    .option('from', {
      type: 'string',
      default: 'pods',
      describe: 'pods (one on each node, to the ClusterIP) or internet (to the LoadBalancer address)',
    })
    .option('json', { type: 'boolean', default: false, describe: 'print the measurement as JSON' });
}

export async function handler(argv: LoadArgs): Promise<void> {
  if (argv.from !== 'pods' && argv.from !== 'internet')
    throw new InputError(`must be pods or internet, got ${argv.from}`, { field: '--from', hint: '--from internet' });
  await pingEngine();
  const lab = await pickLab(
    argv.name,
    argv.topology ? loadTopology(argv.topology, { allowOutside: argv['allow-outside'] }).name : undefined,
    GUIDE_TOPOLOGY,
  );
  const model = await readModel(lab);
  const plan = planLoad(model, argv.target, {
    rate: argv.rate,
    seconds: argv.duration,
    timeoutSec: argv.timeout,
    from: argv.from,
  });
  const head = `lab load ${plan.service.namespace}/${plan.service.name} (${plan.ip}:${plan.port}) at ${plan.options.rate}/s for ${plan.options.seconds}s from ${plan.sources.map((s) => s.id).join(', ')}, timeout ${plan.options.timeoutSec}s; right backends (selector): ${plan.backends.join(', ') || 'none'}`;
  if (!argv.json) console.error(`${head}: running`);
  const run = await runLoad(plan);
  // The fault injected during the load (if any): the report's times are from it.
  const store = await readFaults(model.vpc.container);
  const f = [...store.active, ...store.cleared]
    .map((x) => ({ id: x.id, kind: x.kind, target: x.target, at: Date.parse(x.injectedAt) }))
    .filter((x) => x.at >= run.start && x.at <= run.end)
    .sort((a, b) => a.at - b.at)[0];
  if (argv.json)
    console.log(
      JSON.stringify(
        {
          service: `${plan.service.namespace}/${plan.service.name}`,
          ip: plan.ip,
          port: plan.port,
          backends: plan.backends,
          options: plan.options,
          start: new Date(run.start).toISOString(),
          ...(f ? { fault: { ...f, at: new Date(f.at).toISOString(), sinceStartMs: f.at - run.start } } : {}),
          sources: run.summaries,
        },
        null,
        1,
      ),
    );
  else console.log(renderLoadReport(head, run.summaries, run.start, f));
}
