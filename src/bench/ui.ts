/**
 * lab graph and lab ui at scale, no lab needed: a model of N pods (the scale topology with its
 * Deployment at N replicas), drawn (labGraph + renderDot), laid out by Graphviz, then the ui page
 * loaded in Debian's headless Chromium from a ui server holding that drawing: time from navigation
 * until every pod is in the page's DOM.
 */
import * as path from 'path';
import puppeteer from 'puppeteer-core';
import { loadRawTopology } from '../topology/load';
import { resolveTopology } from '../topology/resolve';
import { labGraph } from '../graph/model';
import { renderDot } from '../graph/dot';
import { dotToSvg } from '../graph/graphviz';
import { startUiServer } from '../ui/server';
import { COLLAPSE_ABOVE } from '../cli/cmds/ui';
import { machineLine, mdTable, stats } from './report';

const ROOT = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function scaleModel(pods: number) {
  const { raw } = loadRawTopology(path.join(ROOT, 'topologies', 'scale-10x20.yaml'));
  const dep = raw.objects!.find((o) => o.kind === 'Deployment') as { spec: { replicas: number } };
  dep.spec.replicas = pods;
  return resolveTopology(raw);
}

export async function benchUi(sizes = [200, 1000], loads = 5): Promise<string> {
  const rows: Array<Array<string | number>> = [];
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    for (const [n, collapse] of sizes.flatMap(
      (k) =>
        [
          [k, true],
          [k, false],
        ] as Array<[number, boolean]>,
    )) {
      const model = scaleModel(n);
      let t = Date.now();
      const graph = labGraph(model, undefined, collapse ? { above: COLLAPSE_ABOVE } : {});
      const dot = renderDot(graph);
      const renderMs = Date.now() - t;
      t = Date.now();
      const svg = await dotToSvg(dot);
      const dotMs = Date.now() - t;
      const ui = await startUiServer({
        host: '127.0.0.1',
        port: 0,
        webDir: path.join(ROOT, 'web', 'ui'),
        pollMs: 3_600_000,
        actions: {
          snapshot: async () => ({ graph, svg }),
          verify: async () => ({}),
          trace: async () => Promise.reject(new Error('no')),
          tracePaths: () => [],
        },
      });
      const times: number[] = [];
      try {
        for (let i = 0; i < loads; i++) {
          const page = await browser.newPage();
          await page.setViewport({ width: 1600, height: 1000 });
          const t0 = Date.now();
          await page.goto(ui.url);
          // A string, evaluated in the page (this file is compiled without the DOM types).
          const boxes = graph.vertices.filter((v) => v.kind === 'pod' || v.kind === 'pods').length;
          await page.waitForFunction(
            `document.querySelectorAll('#graph g.node[data-vertex^="pod/"], #graph g.node[data-vertex$="/pods"]').length === ${boxes}`,
            { timeout: 60_000 },
          );
          times.push(Date.now() - t0);
          await page.close();
        }
      } finally {
        await ui.close();
      }
      const s = stats(times);
      rows.push([
        model.pods.length,
        model.nodes.length,
        collapse ? `collapsed above ${COLLAPSE_ABOVE} per node (lab ui default)` : 'every pod drawn',
        renderMs,
        dotMs,
        (svg.length / 1024).toFixed(0),
        s.p50,
        s.max,
      ]);
    }
  } finally {
    await browser.close();
  }
  return [
    machineLine(),
    '',
    `Scale topology (10 nodes, one Service over all pods) with its Deployment at N replicas, from the file (no lab). Model to DOT in Node; layout by Graphviz \`dot -Tsvg\` (Debian graphviz) once per change, on the server; page load = Chromium (Debian, headless) navigation until every pod box (or a node's "N pods" box) is in the page, ${loads} loads each, the drawing already laid out (as \`lab ui\` holds it between changes).`,
    '',
    mdTable(
      [
        'pods',
        'nodes',
        'pods drawn',
        'model to DOT ms',
        'dot -Tsvg ms',
        'SVG KiB',
        'page load p50 ms',
        'page load max ms',
      ],
      rows,
    ),
  ].join('\n');
}
