/**
 * The drawings render with the real programs: DOT through Graphviz's `dot`, Mermaid through
 * mermaid.js itself in Debian's headless Chromium (puppeteer-core, no downloaded browser). Each has
 * a broken input the same check rejects, so the check can fail.
 */
import puppeteer, { Browser } from 'puppeteer-core';
import { labGraph } from '../../src/graph/model';
import { renderDot } from '../../src/graph/dot';
import { renderMermaid } from '../../src/graph/mermaid';
import { dotToSvg } from '../../src/graph/graphviz';
import { renderGraphHtml } from '../../src/graph/html';
import { loadTopology } from '../../src/topology/load';
import { GUIDE_TOPOLOGY } from '../../src/cli/common';
import { LabError } from '../../src/errors';
import { CHROMIUM, hasChromium, hasDot, itWith } from './tools';

// Used only inside the function puppeteer runs in the page (this project compiles without the DOM types).
declare const window: unknown;

const model = loadTopology(GUIDE_TOPOLOGY);
const graph = labGraph(model);

describe('Graphviz renders the DOT', () => {
  itWith(hasDot())('to SVG with every pod IP, node eth0 and Service VIP as text', async () => {
    const svg = await dotToSvg(renderDot(graph));
    expect(svg).toContain('<svg');
    for (const p of model.pods) expect(svg).toContain(`>${p.ip}</text>`);
    for (const n of model.nodes) expect(svg).toContain(`>${n.ip}/${n.prefixLen}</text>`);
    expect(svg).toContain('ClusterIP 10.96.0.10');
    // One <g class="cluster"> per group: VPC, subnet, nodes, Services, edge.
    expect(svg.match(/class="cluster"/g)!.length).toBe(graph.groups.length);
    const html = renderGraphHtml(graph, svg);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src="http/);
  });

  itWith(hasDot())("and rejects broken DOT with Graphviz's message", async () => {
    await expect(dotToSvg('graph { "a" -- ')).rejects.toThrow(/dot -Tsvg failed .*syntax error/s);
  });

  it('says how to install Graphviz when dot is missing', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const err = await dotToSvg('graph {}').catch((e) => e);
      expect(err).toBeInstanceOf(LabError);
      expect(err.hint).toMatch(/apt-get install graphviz/);
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe('mermaid.js (in Chromium) renders the Mermaid', () => {
  let browser: Browser | undefined;
  const render = async (text: string): Promise<string> => {
    browser ??= await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    const page = await browser.newPage();
    try {
      await page.setContent('<!DOCTYPE html><html><body></body></html>');
      await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
      return await page.evaluate(async (t: string) => {
        const m = (
          window as unknown as {
            mermaid: { initialize(o: object): void; render(id: string, t: string): Promise<{ svg: string }> };
          }
        ).mermaid;
        m.initialize({ startOnLoad: false, securityLevel: 'strict', maxTextSize: 1e7, maxEdges: 1e5 });
        return (await m.render('lab', t)).svg;
      }, text);
    } finally {
      await page.close();
    }
  };
  afterAll(async () => browser?.close());

  itWith(hasChromium())(
    'to SVG with every pod and node label',
    async () => {
      const svg = await render(renderMermaid(graph));
      for (const p of model.pods) expect(svg).toContain(p.ip);
      for (const n of model.nodes) expect(svg).toContain(`>${n.name}<`);
      expect(svg).not.toMatch(/Syntax error/i);
    },
    60000,
  );

  itWith(hasChromium())(
    'and rejects broken Mermaid',
    async () => {
      const broken = renderMermaid(graph).replace(/\n\s*end\n/, '\n'); // one subgraph left open
      await expect(render(broken)).rejects.toThrow(/Parse error|Expecting/);
    },
    60000,
  );
});
