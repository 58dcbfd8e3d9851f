/** lab ui: a local web page of the running lab: the drawing, live state, verify results, traces animated hop by hop. */
import * as path from 'path';
import { Argv } from 'yargs';
import { CommonArgs, PROJECT_ROOT, runningModel, withCommon } from '../common';
import { readModel } from '../../lab/state';
import { labStatus } from '../../lab/status';
import { verifyLab } from '../../lab/verify';
import { runTrace, traceDocument } from '../../lab/trace';
import { traceDir } from '../../lab/lab-dir';
import { pathIds } from '../../paths';
import { collapsedPodsId, labGraph, podId } from '../../graph/model';
import { renderDot } from '../../graph/dot';
import { dotToSvg } from '../../graph/graphviz';
import { vertexForPoint } from '../../ui/points';
import { isLoopback, newToken, startUiServer, UiActions } from '../../ui/server';
import { guardSignals } from '../signals';
import { verifyPicture } from '../../ui/verdicts';
import { matrixView } from '../../ui/matrix';
import { faultEvents } from '../../report/timeline';
import { readFaults } from '../../lab/faults/store';
import { PATHS } from '../../paths';

interface UiArgs extends CommonArgs {
  port: number;
  host: string;
}

export const command = 'ui';
export const describe =
  'serve a web page of the running lab: the drawing with live state, verify results, lab trace animated hop by hop (127.0.0.1 by default)';

export function builder(y: Argv) {
  return withCommon(y)
    .option('port', { type: 'number', default: 8080, describe: 'TCP port (0: any free port)' })
    .option('host', {
      type: 'string',
      default: '127.0.0.1',
      describe: 'address to bind; any other than loopback requires the random token printed in the URL',
    });
}

/** More pods than this on a node are drawn as one box until opened (the page stays light at 1,000 pods). */
export const COLLAPSE_ABOVE = 12;

/** The real actions: everything the page can ask for, against the lab `name`. */
export function labActions(name: string): UiActions {
  return {
    snapshot: async (expanded) => {
      const model = await readModel(name);
      const graph = labGraph(model, await labStatus(model), { above: COLLAPSE_ABOVE, expanded });
      return { graph, svg: await dotToSvg(renderDot(graph)) };
    },
    // The report as `lab verify --json` has it, plus its colours on the picture and the NetworkPolicy matrix.
    verify: async (paths) => {
      const model = await readModel(name);
      const report = await verifyLab(model, paths);
      return { ...report, picture: verifyPicture(model, report.probes), matrix: matrixView(report.probes) };
    },
    verifyPaths: async () => {
      const model = await readModel(name);
      return PATHS.filter((p) => !p.appliesTo || p.appliesTo(model)).map((p) => p.id);
    },
    // Every fault event the lab recorded (injected, cleared), as `lab watch --json` prints them.
    timeline: async () => faultEvents(await readFaults((await readModel(name)).vpc.container), new Set()),
    trace: async (id) => {
      const model = await readModel(name);
      const run = await runTrace(model, id, { dir: traceDir(model.name, id) });
      const doc = traceDocument(run);
      const hops = (doc.hops as Array<{ point: string }>).map((h) => {
        const vertex = vertexForPoint(model, h.point);
        // Where the hop is drawn when its node's pods are collapsed into one box.
        const pod = model.pods.find((p) => vertex === podId(p.namespace, p.name));
        return { ...h, vertex, collapsed: pod ? collapsedPodsId(pod.node) : undefined };
      });
      return { doc: { ...doc, hops }, dir: run.dir, files: Object.values(run.pcaps).map((p) => path.basename(p.file)) };
    },
    tracePaths: pathIds,
  };
}

export async function handler(argv: UiArgs): Promise<void> {
  const model = await runningModel(argv);
  const ui = await startUiServer({
    host: argv.host,
    port: argv.port,
    webDir: path.join(PROJECT_ROOT, 'web', 'ui'),
    actions: labActions(model.name),
    token: isLoopback(argv.host) ? undefined : newToken(),
  });
  console.log(`lab ui: ${model.name} at ${ui.url} (Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    const guard = guardSignals(() => {
      guard.dispose();
      void ui.close().then(resolve);
    });
  });
}
