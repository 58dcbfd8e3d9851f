/** lab verify: probe every path and report what was observed. */
import * as fs from 'fs';
import { Argv } from 'yargs';
import { CommonArgs, runningModel, withCommon } from '../common';
import { verifyLab } from '../../lab/verify';
import { renderVerifyTable } from '../../report/verify-table';
import { renderJunit } from '../../report/junit';
import { pathIds } from '../../paths';
import { renderTimings, Timings } from '../../lab/timings';
import { neighbourOverflowNote, readNeighbourTable } from '../../lab/neighbour-table';

interface VerifyArgs extends CommonArgs {
  json: boolean;
  junit?: string;
  path?: string[];
  strict: boolean;
  timings: boolean;
}

export const command = 'verify';
export const describe = 'run live probes over every path of the Kubernetes networking model';

export function builder(y: Argv) {
  return withCommon(y)
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' })
    .option('junit', { type: 'string', describe: 'also write JUnit XML to this file' })
    .option('strict', {
      type: 'boolean',
      default: false,
      describe: 'also exit non-zero when a path is not covered (no judged probe)',
    })
    .option('timings', {
      type: 'boolean',
      default: false,
      describe: 'print where the time went: reading the model, choosing probes, each path (its probes summed)',
    })
    .option('path', { type: 'string', array: true, describe: `only these paths: ${pathIds().join(', ')}` });
}

export async function handler(argv: VerifyArgs): Promise<void> {
  const t0 = Date.now();
  const timings = new Timings();
  const model = await runningModel(argv);
  timings.mark('read model');
  const arpBefore = readNeighbourTable();
  const report = await verifyLab(model, argv.path, undefined, timings);
  const arpNote = neighbourOverflowNote(arpBefore, readNeighbourTable());
  if (argv.junit) fs.writeFileSync(argv.junit, renderJunit(report));
  console.log(argv.json ? JSON.stringify(report, null, 2) : renderVerifyTable(report, process.stdout.isTTY));
  // Printed apart from --json's document (stderr then), so scripts still read one JSON value.
  const t = renderTimings('timings of verify (per path: its probes summed)', timings.phases, Date.now() - t0);
  if (argv.timings) (argv.json ? console.error : console.log)(t);
  if (arpNote) console.error(arpNote);
  if (!report.ok) process.exitCode = 1;
  else if (argv.strict && report.notCovered.length) {
    console.error(
      `--strict: ${report.notCovered.length} path(s) not covered: ${report.notCovered.map((n) => `${n.path} (${n.reason})`).join('; ')}`,
    );
    process.exitCode = 1;
  }
}
