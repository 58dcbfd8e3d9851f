/** The lab ui server with fake actions: the token, the only files it serves, and server-sent events. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as http from 'http';
import { isLoopback, startUiServer, UiActions, UiServer } from '../../src/ui/server';
import { labGraph } from '../../src/graph/model';
import { fixtureModel } from '../fixtures/model';

const WEB = path.resolve(__dirname, '..', '..', 'web', 'ui');

function fakeActions(dir: string, svg = { text: '<svg>one</svg>' }): UiActions & { traced: string[] } {
  const traced: string[] = [];
  return {
    traced,
    snapshot: async (_expanded) => ({ graph: labGraph(fixtureModel()), svg: svg.text }),
    verify: async () => ({ ok: true, probes: [] }),
    trace: async (id) => {
      traced.push(id);
      return { doc: { path: id, hops: [] }, dir, files: ['node1@cbr0.pcap'] };
    },
    tracePaths: () => ['pod-to-service'],
  };
}

async function get(url: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { method });
  return { status: r.status, body: await r.text() };
}

describe('lab ui server', () => {
  let dir: string;
  let ui: UiServer | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ui-'));
    fs.writeFileSync(path.join(dir, 'node1@cbr0.pcap'), 'PCAP');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'SECRET');
  });
  afterEach(async () => {
    await ui?.close();
    ui = undefined;
  });

  it('binds where told, serves the page, and needs no token on loopback', async () => {
    ui = await startUiServer({ host: '127.0.0.1', port: 0, webDir: WEB, actions: fakeActions(dir) });
    expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((ui.server.address() as { address: string }).address).toBe('127.0.0.1');
    const page = await get(ui.url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="app.js">');
    expect((await get(ui.url + 'app.js')).body).toContain('EventSource');
    expect((await get(ui.url + 'api/graph')).body).toContain('"svg":"<svg>one</svg>"');
  });

  it('with a token, refuses every request without it', async () => {
    ui = await startUiServer({ host: '127.0.0.1', port: 0, webDir: WEB, actions: fakeActions(dir), token: 'abc123' });
    const base = ui.url.replace(/\?token=.*/, '');
    expect(ui.url).toMatch(/\?token=abc123$/);
    for (const p of ['', 'app.js', 'api/graph', 'api/paths']) expect((await get(base + p)).status).toBe(403);
    expect((await get(base + 'api/graph?token=wrong')).status).toBe(403);
    expect((await get(ui.url)).status).toBe(200);
    expect((await get(base + 'api/paths?token=abc123')).body).toBe('{"trace":["pod-to-service"],"verify":[]}');
  });

  it('runs only known trace paths, and downloads only the pcaps that trace wrote', async () => {
    const actions = fakeActions(dir);
    ui = await startUiServer({ host: '127.0.0.1', port: 0, webDir: WEB, actions });
    expect((await get(ui.url + 'api/trace?path=rm-rf', 'POST')).status).toBe(400);
    expect(actions.traced).toEqual([]);
    const t = JSON.parse((await get(ui.url + 'api/trace?path=pod-to-service', 'POST')).body);
    expect(actions.traced).toEqual(['pod-to-service']);
    expect((await get(`${ui.url}api/pcap/${t.trace}/node1@cbr0.pcap`)).body).toBe('PCAP');
    expect((await get(`${ui.url}api/pcap/${t.trace}/secret.txt`)).status).toBe(404);
    expect((await get(`${ui.url}api/pcap/${t.trace}/..%2Fsecret.txt`)).status).toBe(404);
    expect((await get(`${ui.url}api/pcap/ffff/node1@cbr0.pcap`)).status).toBe(404);
    expect((await get(ui.url + '../../etc/passwd')).status).toBe(404);
    expect((await get(ui.url + 'api/verify')).status).toBe(404); // GET: actions are POST only
  });

  it('pushes the drawing to event-stream clients again when it changes', async () => {
    const svg = { text: '<svg>one</svg>' };
    ui = await startUiServer({ host: '127.0.0.1', port: 0, webDir: WEB, actions: fakeActions(dir, svg), pollMs: 50 });
    const events: string[] = [];
    const req = http.get(ui.url + 'api/events');
    await new Promise<void>((resolve) => {
      req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          for (const m of d.matchAll(/"svg":"(<svg>\w+<\/svg>)"/g)) events.push(m[1]);
          if (events.length === 1) svg.text = '<svg>two</svg>';
          if (events.includes('<svg>two</svg>')) resolve();
        });
      });
    });
    req.destroy();
    expect(events[0]).toBe('<svg>one</svg>');
    expect(events).toContain('<svg>two</svg>');
  });

  it("opens and closes a node's pods for the next drawing, and only for nodes the drawing has", async () => {
    const seen: string[][] = [];
    const actions = fakeActions(dir);
    const snapshot = actions.snapshot;
    actions.snapshot = async (expanded) => {
      seen.push([...expanded]);
      return snapshot(expanded);
    };
    ui = await startUiServer({ host: '127.0.0.1', port: 0, webDir: WEB, actions, pollMs: 3_600_000 });
    await get(ui.url + 'api/graph');
    expect((await get(ui.url + 'api/toggle?node=node1', 'POST')).body).toBe('{"expanded":["node1"]}');
    expect(seen[seen.length - 1]).toEqual(['node1']);
    expect((await get(ui.url + 'api/toggle?node=node1', 'POST')).body).toBe('{"expanded":[]}');
    expect((await get(ui.url + 'api/toggle?node=node9', 'POST')).status).toBe(400);
  });

  it('verify takes only known paths of this lab; the fault timeline is served and pushed as it grows', async () => {
    const asked: Array<string[] | undefined> = [];
    const events: Array<{ kind: string; at: number; detail: string }> = [];
    const actions: UiActions = {
      ...fakeActions(dir),
      verify: async (paths) => {
        asked.push(paths);
        return { ok: true, probes: [] };
      },
      verifyPaths: async () => ['pod-to-pod-same-node', 'network-policy'],
      timeline: async () => [...events],
    };
    ui = await startUiServer({ host: '127.0.0.1', port: 0, webDir: WEB, actions, pollMs: 50 });
    expect(JSON.parse((await get(ui.url + 'api/paths')).body).verify).toEqual([
      'pod-to-pod-same-node',
      'network-policy',
    ]);
    expect((await get(ui.url + 'api/verify?path=network-policy', 'POST')).status).toBe(200);
    expect((await get(ui.url + 'api/verify', 'POST')).status).toBe(200);
    const bad = await get(ui.url + 'api/verify?path=nodeport', 'POST');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toBe('unknown path "nodeport"');
    expect(asked).toEqual([['network-policy'], undefined]);
    const seen: string[] = [];
    const req = http.get(ui.url + 'api/events');
    await new Promise<void>((resolve) => {
      req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          for (const m of d.matchAll(/event: timeline\ndata: (.*)\n/g)) seen.push(m[1]);
          if (seen.length === 1)
            events.push({ kind: 'fault-injected', at: 1000, detail: 'f1 partition node1 | node2' });
          if (seen.some((x) => x.includes('fault-injected'))) resolve();
        });
      });
    });
    req.destroy();
    expect(seen[0]).toBe('[]');
    expect(JSON.parse(seen[seen.length - 1])).toEqual([
      { kind: 'fault-injected', at: 1000, detail: 'f1 partition node1 | node2' },
    ]);
    expect(JSON.parse((await get(ui.url + 'api/timeline')).body)).toHaveLength(1);
  });

  it('knows loopback from other addresses', () => {
    expect(['127.0.0.1', '127.0.0.53', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '192.168.1.2'].some(isLoopback)).toBe(false);
  });
});
