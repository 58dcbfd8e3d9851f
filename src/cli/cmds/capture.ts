/** lab capture POINT...: tcpdump at capture points, pcaps streamed to host files or to stdout. */
import * as fs from 'fs';
import * as path from 'path';
import { Argv } from 'yargs';
import { CommonArgs, runningModel, withCommon } from '../common';
import { InputError, LabError } from '../../errors';
import { parseCapturePoints, pcapFileName, tcpdumpArgv } from '../../trace/capture-plan';
import {
  CaptureOutcome,
  CaptureRequest,
  observeCapturePoints,
  RunningCapture,
  startCaptures,
  stopCaptures,
} from '../../lab/capture';
import { captureDir } from '../../lab/lab-dir';
import { guardSignals, signalExitCode } from '../signals';

interface CaptureArgs extends CommonArgs {
  points?: string[];
  filter?: string;
  duration?: number;
  count?: number;
  w?: string;
  list: boolean;
}

export const command = 'capture [points..]';
export const describe =
  'capture packets (tcpdump) at points such as node1/pod1:eth0, node1:cbr0, vpc:v-node1; Ctrl-C stops';

export function builder(y: Argv) {
  return withCommon(y)
    .positional('points', { type: 'string', array: true, describe: 'capture points TARGET:IFACE (see --list)' })
    .option('filter', { alias: 'f', type: 'string', describe: 'BPF filter, e.g. "icmp or tcp port 8080"' })
    .option('duration', { alias: 'd', type: 'number', describe: 'stop after this many seconds' })
    .option('count', { alias: 'c', type: 'number', describe: 'stop each point after this many packets' })
    .option('w', {
      alias: 'write',
      type: 'string',
      describe:
        "directory for the pcaps (default ./lab-NAME/captures/UTC-STAMP), or - to stream one point's pcap to stdout",
    })
    .option('list', { type: 'boolean', default: false, describe: "print the lab's capture points and exit" });
}

/** Safety net for an open-ended capture: `timeout` ends tcpdump after a day even if all else failed. */
const OPEN_ENDED_SAFETY_S = 24 * 3600;

export async function handler(argv: CaptureArgs): Promise<void> {
  const toStdout = argv.w === '-';
  const say = (s: string) => process.stderr.write(`${s}\n`);
  if (argv.duration !== undefined && !(argv.duration > 0))
    throw new InputError(`duration must be a positive number of seconds, got ${argv.duration}`, {
      field: '--duration',
    });
  const model = await runningModel(argv);
  const idx = await observeCapturePoints(model);
  if (argv.list) {
    console.log(idx.points.join('\n'));
    return;
  }
  if (!argv.points?.length) {
    throw new InputError('no capture point given', {
      field: 'point',
      hint: `give one or more of: ${idx.points.join(', ')}`,
    });
  }
  const points = parseCapturePoints(argv.points.map(String), idx.points);
  if (toStdout && points.length !== 1) {
    throw new InputError(`-w - streams one pcap to stdout, got ${points.length} points`, {
      field: '-w',
      hint: 'give one point, or a directory with -w DIR',
    });
  }
  // Validate every tcpdump command line before anything starts.
  for (const p of points) tcpdumpArgv({ iface: p.iface, file: '-', filter: argv.filter, count: argv.count });
  const dir = toStdout ? undefined : argv.w ? path.resolve(argv.w) : captureDir(model.name);
  if (dir) fs.mkdirSync(dir, { recursive: true });
  const safetySeconds = argv.duration !== undefined ? Math.ceil(argv.duration) + 10 : OPEN_ENDED_SAFETY_S;
  const reqs: CaptureRequest[] = points.map((p) => ({
    point: p,
    target: idx.targets[p.target],
    file: dir ? path.join(dir, pcapFileName(p.point)) : undefined,
    stream: toStdout ? process.stdout : undefined,
    filter: argv.filter,
    count: argv.count,
    safetySeconds,
  }));

  let running: RunningCapture[] | undefined;
  let stopRequested = false;
  const guard = guardSignals(() => {
    stopRequested = true;
    if (running) for (const c of running) c.stop();
  });
  // A closed stdout (the reader of `-w -` went away) ends the capture like Ctrl-C.
  const onStdoutError = () => {
    stopRequested = true;
    if (running) for (const c of running) c.stop();
  };
  if (toStdout) process.stdout.on('error', onStdoutError);
  let outcomes: CaptureOutcome[];
  try {
    running = await startCaptures(reqs, (l) => say(`lab capture: ${l}`));
    if (stopRequested) for (const c of running) c.stop();
    const until = [
      argv.duration !== undefined ? `${argv.duration} s` : '',
      argv.count !== undefined ? `${argv.count} packets per point` : '',
      'Ctrl-C',
    ].filter(Boolean);
    say(
      `lab capture: capturing at ${points.length} point${points.length > 1 ? 's' : ''}${dir ? ` into ${dir}` : ' to stdout'} until ${until.join(' or ')}`,
    );
    const allDone = Promise.all(running.map((c) => c.done));
    const waits: Array<Promise<unknown>> = [allDone, guard.arrived];
    if (argv.duration !== undefined) waits.push(new Promise((r) => setTimeout(r, argv.duration! * 1000).unref()));
    await Promise.race(waits);
    outcomes = await stopCaptures(running);
  } finally {
    guard.dispose();
    if (toStdout) process.stdout.removeListener('error', onStdoutError);
  }
  const rows = outcomes.map((o) => [
    o.point,
    String(o.stats.captured ?? '?'),
    o.file ? path.relative(process.cwd(), o.file) || o.file : '(stdout)',
  ]);
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length), i === 0 ? 5 : 7));
  const table = [['POINT', 'PACKETS', 'FILE'], ...rows]
    .map((r) => `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2]}`)
    .join('\n');
  // stdout carries the pcap with -w -: the summary goes to stderr then.
  if (toStdout) say(table);
  else console.log(`${table}\n${dir}`);
  const failed = outcomes.filter((o) => o.error);
  if (failed.length) throw new LabError(failed.map((o) => `${o.point}: ${o.error}`).join('; '));
  if (guard.received) process.exitCode = signalExitCode(guard.received);
}
