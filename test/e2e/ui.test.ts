/**
 * lab ui in a real browser: Debian's headless Chromium driven by puppeteer-core, on a running guide
 * lab. The page shows every node and pod with its IP; pod-to-service traced from the page animates
 * the packet to a web backend with the DNAT hop labelled; a pod killed with `lab delete pod` leaves
 * the picture and its replacement appears. Screenshots go to test-artifacts/ui/.
 */
import * as fs from 'fs';
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
    await page.click('#verdicts li[data-path="pod-to-pod-same-node"]');
    const shown = JSON.parse(await page.$eval('#evidence', (e) => e.textContent ?? ''));
    expect(shown.ok).toBe(true);
    expect(Object.keys(shown.evidence).length).toBeGreaterThan(0);
    // Sabotage: pod2's eth0 down, so nothing reaches it.
    expect(
      (await lab(['exec', '--name', NAME, 'node1/pod2', '--', 'ip', 'link', 'set', 'eth0', 'down'])).exitCode,
    ).toBe(0);
    const after = await verify();
    const bad = after.filter((v) => v.path === 'pod-to-pod-same-node' && !v.ok);
    expect(bad.length).toBeGreaterThan(0);
    await page.click('#verdicts li.bad[data-path="pod-to-pod-same-node"]');
    const why = JSON.parse(await page.$eval('#evidence', (e) => e.textContent ?? ''));
    expect(why.ok).toBe(false);
    expect(why.reason).toBeTruthy();
    await page.screenshot({ path: shot('verify-sabotaged'), fullPage: true });
    await lab(['exec', '--name', NAME, 'node1/pod2', '--', 'ip', 'link', 'set', 'eth0', 'up']);
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
});
