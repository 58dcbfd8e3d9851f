/**
 * lab ui in a real browser: Debian's headless Chromium driven by puppeteer-core, on a running guide
 * lab. The page shows every node and pod with its IP; pod-to-service traced from the page animates
 * the packet to a web backend with the DNAT hop labelled; a pod killed with `lab delete pod` leaves
 * the picture and its replacement appears. Screenshots go to test-artifacts/ui/.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import puppeteer, { Browser, Page } from 'puppeteer-core';
import { LAB_BIN, lab, labName, ROOT } from './helpers';
import { CHROMIUM } from '../graph/tools';

// Used only inside functions puppeteer runs in the page (this project compiles without the DOM types).
declare const document: { body: { dataset: Record<string, string> }; querySelector(s: string): unknown };

const NAME = labName('e2e-ui');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'ui');
jest.setTimeout(600_000);

interface Status {
  nodes: Array<{ name: string; ip: string }>;
  pods: Array<{ name: string; namespace: string; ip: string; running: boolean }>;
}

const shot = (name: string) => path.join(ARTIFACTS, `${name}.png`) as `${string}.png`;
const status = async (): Promise<Status> => JSON.parse((await lab(['status', '--name', NAME, '--json'])).stdout);
const podVertex = (p: { namespace: string; name: string }) => `pod/${p.namespace}/${p.name}`;
// app.css: verdict-pass fill #c8e6c9, verdict-fail fill #ffcdd2, as the browser computes them.
const GREEN = 'rgb(200, 230, 201)';
const RED = 'rgb(255, 205, 210)';
const vertexText = (page: Page, id: string) =>
  page
    .$eval(`#graph g.node[data-vertex="${id}"]`, (g) =>
      [...g.querySelectorAll('text')].map((t) => t.textContent).join(' '),
    )
    .catch(() => undefined);

describe('lab ui in Chromium', () => {
  let ui: execa.ExecaChildProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await lab(['down', '--name', NAME]);
    const up = await lab(['up', '--name', NAME, '--no-verify']);
    if (up.exitCode !== 0) throw new Error(`lab up failed:\n${up.stderr}`);
    ui = execa('node', [LAB_BIN, 'ui', '--name', NAME, '--port', '0'], { cwd: ROOT });
    const url = await new Promise<string>((resolve, reject) => {
      ui!.stdout!.on('data', (d: Buffer) => {
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(String(d));
        if (m) resolve(m[1]);
      });
      ui!.once('exit', (code) => reject(new Error(`lab ui exited ${code}`)));
    });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1700, height: 1100 });
    await page.goto(url);
    await page.waitForSelector('#graph g.node[data-vertex]', { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    ui?.kill('SIGINT');
    await ui?.catch(() => undefined);
    await lab(['down', '--name', NAME]);
  });

  it('shows every node with its eth0 address and every pod with its IP', async () => {
    const s = await status();
    expect(s.pods.length).toBeGreaterThan(10);
    for (const n of s.nodes) expect(await vertexText(page, `node/${n.name}/eth0`)).toContain(n.ip);
    for (const p of s.pods) expect(await vertexText(page, podVertex(p))).toContain(p.ip);
    const clusters = await page.$$eval('#graph g.cluster text', (ts) => ts.map((t) => t.textContent));
    for (const n of s.nodes) expect(clusters).toContain(n.name);
    expect(await page.$eval('#live', (e) => e.textContent)).toMatch(/16 pods, 0 down/);
    await page.screenshot({ path: shot('guide'), fullPage: true });
  });

  it('traces pod-to-service from the page: the packet reaches a web backend, the DNAT hop labelled, and comes back', async () => {
    const s = await status();
    const web = s.pods.filter((p) => /^web-/.test(p.name)).map(podVertex);
    await page.select('#trace-path', 'pod-to-service');
    await page.click('#trace-run');
    await page.waitForFunction(() => document.body.dataset.trace === 'done', { timeout: 180_000 });
    const hops = await page.$$eval('#hops li', (lis) =>
      lis.map((li) => ({
        cls: li.className,
        vertex: li.getAttribute('data-vertex'),
        text: li.textContent ?? '',
        nat: !!li.querySelector('.change.nat'),
      })),
    );
    const request = hops.filter((h) => h.cls.includes('request'));
    const reply = hops.filter((h) => h.cls.includes('reply'));
    expect(request.length).toBeGreaterThan(3);
    expect(web).toContain(request[request.length - 1].vertex);
    const dnat = request.find((h) => /DNAT 10\.96\.\d+\.\d+:80 -> 10\.244\.\d+\.\d+:8080/.test(h.text));
    expect(dnat?.nat).toBe(true);
    expect(reply.length).toBeGreaterThan(3);
    expect(reply[reply.length - 1].vertex).toBe('pod/default/client');
    // The animation went there: the packet's visited vertices include the backend, and it ended at the client.
    const visited = (await page.$eval('#packet', (c) => c.getAttribute('data-visited')))!.split(' ');
    expect(visited).toContain(request[request.length - 1].vertex);
    expect(await page.$eval('#packet', (c) => c.getAttribute('data-at'))).toBe('pod/default/client');
    expect(await page.$$eval('#graph g.node.visited-request', (g) => g.length)).toBeGreaterThan(3);
    // Every hop links its pcap, and the link downloads a real capture (pcap magic).
    const href = await page.$eval('#hops li a', (a) => (a as unknown as { href: string }).href);
    const magic = await page.evaluate(
      async (u) => [...new Uint8Array(await (await fetch(u)).arrayBuffer()).slice(0, 4)],
      href,
    );
    expect([
      [0xd4, 0xc3, 0xb2, 0xa1],
      [0xa1, 0xb2, 0xc3, 0xd4],
      [0x4d, 0x3c, 0xb2, 0xa1],
      [0xa1, 0xb2, 0x3c, 0x4d],
    ]).toContainEqual(magic);
    await page.screenshot({ path: shot('trace-pod-to-service'), fullPage: true });
  });

  const pathClass = (id: string) => page.$eval(`#paths li[data-path="${id}"]`, (li) => li.className);
  /** The verdict a vertex carries and the fill the browser paints its shape with. */
  const vertexVerdict = (id: string) =>
    page.$eval(`#graph g.node[data-vertex="${id}"]`, (g) => {
      const shape = g.querySelector('polygon, ellipse, path')!;
      const view = (g.ownerDocument as unknown as { defaultView: { getComputedStyle(e: unknown): { fill: string } } })
        .defaultView;
      return { verdict: g.getAttribute('data-verdict'), fill: view.getComputedStyle(shape).fill };
    });

  it('verify from the page: each probe green, its evidence on click; pod2 cut off turns its path red', async () => {
    const verify = async () => {
      await page.click('#verify-run');
      await page.waitForFunction(() => document.body.dataset.verify === 'done', { timeout: 300_000 });
      return page.$$eval('#verdicts li', (lis) =>
        lis.map((li) => ({
          path: li.getAttribute('data-path'),
          ok: li.className === 'ok',
          text: li.textContent ?? '',
        })),
      );
    };
    const before = await verify();
    const same = before.filter((v) => v.path === 'pod-to-pod-same-node');
    expect(same.length).toBeGreaterThan(0);
    expect(same.every((v) => v.ok)).toBe(true);
    // Colours on the picture: the path green in the path list, pod2 (a probe end) filled green.
    expect(await pathClass('pod-to-pod-same-node')).toBe('ok');
    expect(await vertexVerdict('pod/default/pod2')).toEqual({ verdict: 'pass', fill: GREEN });
    expect(await page.$$eval('#graph g.node[data-verdict]', (g) => g.length)).toBeGreaterThan(5);
    await page.click('#verdicts li[data-path="pod-to-pod-same-node"]');
    const shown = JSON.parse(await page.$eval('#evidence', (e) => e.textContent ?? ''));
    expect(shown.ok).toBe(true);
    expect(Object.keys(shown.evidence).length).toBeGreaterThan(0);
    // Sabotage: pod2's eth0 down, so nothing reaches it. Its default route goes with the link: kept to restore.
    const route = (
      await lab(['exec', '--name', NAME, 'node1/pod2', '--', 'ip', 'route', 'show', 'default'])
    ).stdout.trim();
    expect(route).toMatch(/^default via \S+ dev eth0/);
    expect(
      (await lab(['exec', '--name', NAME, 'node1/pod2', '--', 'ip', 'link', 'set', 'eth0', 'down'])).exitCode,
    ).toBe(0);
    const after = await verify();
    const bad = after.filter((v) => v.path === 'pod-to-pod-same-node' && !v.ok);
    expect(bad.length).toBeGreaterThan(0);
    expect(await pathClass('pod-to-pod-same-node')).toBe('bad');
    expect(await vertexVerdict('pod/default/pod2')).toEqual({ verdict: 'fail', fill: RED });
    // A vertex whose every probe passed stays green (pod4 is on another node, not behind pod2).
    const green = await page.$$eval('#graph g.node[data-verdict="pass"]', (g) => g.length);
    expect(green).toBeGreaterThan(0);
    await page.click('#verdicts li.bad[data-path="pod-to-pod-same-node"]');
    const why = JSON.parse(await page.$eval('#evidence', (e) => e.textContent ?? ''));
    expect(why.ok).toBe(false);
    expect(why.reason).toBeTruthy();
    await page.screenshot({ path: shot('verify-sabotaged'), fullPage: true });
    await lab(['exec', '--name', NAME, 'node1/pod2', '--', 'ip', 'link', 'set', 'eth0', 'up']);
    await lab(['exec', '--name', NAME, 'node1/pod2', '--', 'ip', 'route', 'replace', ...route.split(/\s+/)]);
  });

  it('a pod deleted with lab delete pod leaves the picture and its replacement appears', async () => {
    const before = await status();
    const victim = before.pods.find((p) => /^web-/.test(p.name))!;
    const r = await lab(['delete', 'pod', victim.name, '--name', NAME]);
    expect(r.exitCode).toBe(0);
    const after = await status();
    const fresh = after.pods.filter((p) => /^web-/.test(p.name) && !before.pods.some((b) => b.name === p.name));
    expect(fresh).toHaveLength(1);
    await page.waitForFunction(
      (gone, added) =>
        !document.querySelector(`#graph g.node[data-vertex="${gone}"]`) &&
        !!document.querySelector(`#graph g.node[data-vertex="${added}"]`),
      { timeout: 60_000 },
      podVertex(victim),
      podVertex(fresh[0]),
    );
    expect(await vertexText(page, podVertex(fresh[0]))).toContain(fresh[0].ip);
    await page.screenshot({ path: shot('after-delete'), fullPage: true });
  });
  it('the NetworkPolicy matrix on the page holds the same cells as lab verify --path network-policy --json', async () => {
    // The guide plus one policy: pods with role=guide in default take only the client, on 8080/TCP.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ui-netpol-'));
    const file = path.join(dir, 'guide-policy.yaml');
    fs.writeFileSync(
      file,
      fs.readFileSync(path.join(ROOT, 'topologies', 'guide.yaml'), 'utf8').replace(/\n*$/, '\n') +
        '  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: guide-from-client, namespace: default}, spec: {podSelector: {matchLabels: {role: guide}}, ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{protocol: TCP, port: 8080}]}]}}\n',
    );
    const applied = await lab(['apply', '-t', file, '--name', NAME]);
    expect(applied.exitCode).toBe(0);
    try {
      await page.reload();
      await page.waitForSelector('#graph g.node[data-vertex]', { timeout: 60_000 });
      await page.waitForFunction(() => !(document.querySelector('#matrix-section') as { hidden: boolean }).hidden, {
        timeout: 30_000,
      });
      await page.click('#matrix-run');
      await page.waitForFunction(() => document.body.dataset.matrix === 'done', { timeout: 300_000 });
      const shown = await page.$$eval('#matrix td[data-from]', (tds) =>
        tds.map((td) => {
          const d = (td as unknown as { dataset: Record<string, string> }).dataset;
          return {
            cell: `${d.from} -> ${d.to} ${d.port}/${d.protocol} expected ${d.expected}`,
            observed: d.observed,
            text: td.textContent,
          };
        }),
      );
      const cli = JSON.parse((await lab(['verify', '--name', NAME, '--path', 'network-policy', '--json'])).stdout) as {
        probes: Array<{
          name: string;
          evidence: { expected: { cells: Array<{ to: string; port: number; protocol: string; verdict: string }> } };
        }>;
      };
      // The same cells with the same expected verdicts (the oracle's); observations are the page's own
      // run (a second run may differ on a loaded machine), so each is checked against its mark.
      const want = cli.probes.flatMap((p) =>
        p.evidence.expected.cells.map(
          (e) => `${p.name.split(' -> ')[0]} -> ${e.to} ${e.port}/${e.protocol} expected ${e.verdict}`,
        ),
      );
      expect(want.length).toBeGreaterThan(50);
      expect(shown.map((c) => c.cell).sort()).toEqual(want.sort());
      const mark = (v: string) => (v === 'allowed' ? '.' : v === 'denied' ? 'X' : '?');
      for (const c of shown)
        expect(`${c.cell}: ${c.text}`).toBe(
          `${c.cell}: ${mark(c.observed)}${c.cell.endsWith(`expected ${c.observed}`) ? '' : '!'}`,
        );
      const differ = shown.filter((c) => c.text!.endsWith('!')).length;
      expect(await page.$eval('#matrix-status', (e) => e.textContent)).toBe(
        `${shown.length} cells, ${differ} differ from the oracle`,
      );
      // The policy bites: denied cells observed denied (a counted drop) on the page.
      expect(shown.filter((c) => c.cell.endsWith('expected denied') && c.text === 'X').length).toBeGreaterThan(20);
      console.log(`page matrix: ${shown.length} cells, ${differ} differ from the oracle in the page's run`);
      await page.$eval('#matrix-section', (e) => (e as unknown as { scrollIntoView(): void }).scrollIntoView());
      await page.screenshot({ path: shot('netpol-matrix'), fullPage: true });
      await (await page.$('#matrix-section'))!.screenshot({ path: shot('netpol-matrix-panel') });
    } finally {
      expect((await lab(['apply', '-t', path.join(ROOT, 'topologies', 'guide.yaml'), '--name', NAME])).exitCode).toBe(
        0,
      );
    }
  });

  it('the fault timeline shows what lab watch --json reports: a fault injected, then cleared', async () => {
    const inj = await lab(['fault', 'inject', 'link-loss', 'node3', '--percent', '1', '--name', NAME]);
    expect(inj.exitCode).toBe(0);
    const id = /^(f\d+) /.exec(inj.stdout)![1];
    try {
      await page.waitForSelector('#timeline li[data-kind="fault-injected"]', { timeout: 30_000 });
      const watch = await lab(['watch', '--once', '--json', '--name', NAME]);
      const events = watch.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { kind: string; at: number; detail: string })
        .filter((e) => e.kind === 'fault-injected' && e.detail.startsWith(`${id} `));
      expect(events).toHaveLength(1);
      const li = await page.$eval(`#timeline li[data-kind="fault-injected"]:last-child`, (l) => ({
        at: Number(l.getAttribute('data-at')),
        text: l.textContent ?? '',
      }));
      expect(li.at).toBe(events[0].at);
      expect(li.text).toContain(events[0].detail);
    } finally {
      expect((await lab(['fault', 'clear', id, '--name', NAME])).exitCode).toBe(0);
    }
    await page.waitForSelector('#timeline li[data-kind="fault-cleared"]', { timeout: 30_000 });
    expect(await page.$eval('#timeline li[data-kind="fault-cleared"]', (l) => l.textContent)).toContain(
      `${id} link-loss node3`,
    );
    await page.$eval('#timeline-section', (e) => (e as unknown as { scrollIntoView(): void }).scrollIntoView());
    await page.screenshot({ path: shot('fault-timeline'), fullPage: true });
    await (await page.$('#timeline-section'))!.screenshot({ path: shot('fault-timeline-panel') });
  });
});
