/** lab graph: the topology as a picture (Mermaid, DOT, SVG via Graphviz, or a self-contained HTML page). */
import * as fs from 'fs';
import * as path from 'path';
import { Argv } from 'yargs';
import { CommonArgs, runningModel, withCommon } from '../common';
import { InputError } from '../../errors';
import { loadTopology } from '../../topology/load';
import { labStatus } from '../../lab/status';
import { labGraph } from '../../graph/model';
import { renderDot } from '../../graph/dot';
import { renderMermaid } from '../../graph/mermaid';
import { dotToSvg } from '../../graph/graphviz';
import { renderGraphHtml } from '../../graph/html';

export const FORMATS = ['mermaid', 'dot', 'svg', 'html'] as const;
export type GraphFormat = (typeof FORMATS)[number];

const BY_EXTENSION: Record<string, GraphFormat> = {
  '.mmd': 'mermaid',
  '.mermaid': 'mermaid',
  '.dot': 'dot',
  '.gv': 'dot',
  '.svg': 'svg',
  '.html': 'html',
  '.htm': 'html',
};

interface GraphArgs extends CommonArgs {
  output?: string;
  format?: string;
}

export const command = 'graph';
export const describe =
  'draw the lab: VPC, subnets, nodes (eth0, cbr0), pods, Services and endpoints, the Internet edge (from --topology alone, or the running lab with its observed state)';

export function builder(y: Argv) {
  return withCommon(y)
    .option('output', {
      alias: 'o',
      type: 'string',
      describe: 'write to this file (the format follows its extension: .mmd .dot .gv .svg .html)',
    })
    .option('format', {
      type: 'string',
      choices: FORMATS as unknown as string[],
      describe: 'mermaid (default on stdout), dot, svg (needs Graphviz), html (self-contained, needs Graphviz)',
    });
}

/** --format, else the output file's extension, else Mermaid. */
export function graphFormat(format: string | undefined, output: string | undefined): GraphFormat {
  if (format) return format as GraphFormat;
  if (!output) return 'mermaid';
  const f = BY_EXTENSION[path.extname(output).toLowerCase()];
  if (!f)
    throw new InputError(`cannot tell the format from "${output}"`, {
      field: 'output',
      hint: `name it .mmd, .dot, .svg or .html, or say --format ${FORMATS.join('|')}`,
    });
  return f;
}

export async function handler(argv: GraphArgs): Promise<void> {
  const format = graphFormat(argv.format, argv.output);
  // --topology alone: the file is enough, no engine needed. Otherwise the running lab, as observed.
  const graph =
    argv.topology && argv.name === undefined
      ? labGraph(loadTopology(argv.topology, { allowOutside: argv['allow-outside'] }))
      : await runningModel(argv).then(async (m) => labGraph(m, await labStatus(m)));
  let text: string;
  if (format === 'mermaid') text = renderMermaid(graph);
  else if (format === 'dot') text = renderDot(graph);
  else {
    const svg = await dotToSvg(renderDot(graph));
    text = format === 'svg' ? svg : renderGraphHtml(graph, svg);
  }
  if (argv.output) {
    fs.writeFileSync(argv.output, text);
    console.error(
      `lab graph: wrote ${argv.output} (${format}, ${graph.vertices.filter((v) => v.kind === 'pod').length} pods, ${graph.source === 'live' ? 'observed state' : 'from the file'})`,
    );
  } else process.stdout.write(text);
}
