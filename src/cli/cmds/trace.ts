/** lab trace PATH: one probe, captured at every point of the path, told hop by hop from the pcaps. */
import * as fs from 'fs';
import * as path from 'path';
import { Argv } from 'yargs';
import { CommonArgs, runningModel, withCommon } from '../common';
import { InputError } from '../../errors';
import { RunningCapture } from '../../lab/capture';
import { traceDir } from '../../lab/lab-dir';
import { policyDropLines, runTrace, traceDocument, traceReachedEnd } from '../../lab/trace';
import { pathIds } from '../../paths';
import { renderTraceMarkdown, renderTraceMermaid, renderTraceText } from '../../trace/render';
import { guardSignals, signalExitCode } from '../signals';

interface TraceArgs extends CommonArgs {
  path: string;
  json?: boolean;
  markdown?: boolean;
  mermaid?: boolean;
  svg?: string;
  html?: string;
  settle: number;
  debug?: boolean;
}

export const command = 'trace <path>';
export const describe =
  'follow one probe along a path: capture at every hop, then show each hop and what changed (NAT, TTL) from the pcaps';

export function builder(y: Argv) {
  return withCommon(y)
    .positional('path', { type: 'string', demandOption: true, describe: `path ID: ${pathIds().join(', ')}` })
    .option('json', { type: 'boolean', describe: 'print the hops as one JSON document' })
    .option('markdown', { type: 'boolean', describe: 'print the "life of a packet" as Markdown' })
    .option('mermaid', { type: 'boolean', describe: 'print a Mermaid sequence diagram' })
    .option('svg', { type: 'string', describe: 'also write the diagram as SVG to this file' })
    .option('html', { type: 'string', describe: 'also write a self-contained HTML page to this file' })
    .option('settle', {
      type: 'number',
      default: 150,
      describe: 'ms to wait after the probe before stopping the captures',
    })
    .conflicts('json', ['markdown', 'mermaid'])
    .conflicts('markdown', 'mermaid');
}

export async function handler(argv: TraceArgs): Promise<void> {
  if (!pathIds().includes(argv.path)) {
    throw new InputError(`unknown path "${argv.path}"`, {
      field: 'path',
      hint: `trace one of: ${pathIds().join(', ')}`,
    });
  }
  const say = (s: string) => process.stderr.write(`${s}\n`);
  const model = await runningModel(argv);
  let running: RunningCapture[] | undefined;
  let stop = false;
  const guard = guardSignals(() => {
    stop = true;
    if (running) for (const c of running) c.stop();
  });
  let run;
  try {
    run = await runTrace(model, argv.path, {
      dir: traceDir(model.name, argv.path),
      settleMs: argv.settle,
      // tcpdump's "listening on" lines only with --debug: the trace waits for all of them anyway.
      log: argv.json ? undefined : (l) => (/listening on/.test(l) && !argv.debug ? undefined : say(`lab trace: ${l}`)),
      onArmed: (r) => {
        running = r;
        if (stop) for (const c of r) c.stop();
      },
    });
  } finally {
    guard.dispose();
  }
  const rel = path.relative(process.cwd(), run.dir) || '.';
  if (argv.svg) fs.writeFileSync(argv.svg, fs.readFileSync(path.join(run.dir, 'trace.svg')));
  if (argv.html) fs.writeFileSync(argv.html, fs.readFileSync(path.join(run.dir, 'trace.html')));
  if (argv.json) {
    console.log(JSON.stringify(traceDocument(run), null, 2));
    say(rel);
  } else if (argv.markdown || argv.mermaid) {
    process.stdout.write(argv.markdown ? renderTraceMarkdown(run.result) : renderTraceMermaid(run.result));
    say(rel);
  } else {
    const via = run.branch ? (run.branchReached ? ` via ${run.branch.label}` : ' (no backend was reached)') : '';
    const head = `${run.plan.from} -> ${run.plan.to}${via}`;
    process.stdout.write(`${head}\n${renderTraceText(run.result)}`);
    for (const l of policyDropLines(run)) console.log(l);
    console.log(
      `files: ${rel} (${Object.keys(run.pcaps).length} pcaps, trace.json/.md/.mmd/.svg/.html); ${run.timings.totalMs} ms`,
    );
  }
  if (guard.received) process.exitCode = signalExitCode(guard.received);
  else if (!traceReachedEnd(run)) process.exitCode = 1;
}
