/**
 * `lab ui`'s web server: one page (static files under web/ui), the lab graph as JSON + SVG, live
 * updates by server-sent events, and only the lab's own actions (verify, trace, pcap download).
 * Thin: what the actions do is injected (src/cli/cmds/ui.ts passes the real ones), so tests can
 * drive the server with fakes. Bound to loopback unless told; anywhere else a token is required.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { LabGraph } from '../graph/model';

export interface UiSnapshot {
  graph: LabGraph;
  svg: string;
}

export interface UiTrace {
  /** traceDocument(run) plus `vertex` per hop (src/ui/points.ts). */
  doc: Record<string, unknown>;
  /** Directory of the pcaps; downloads are limited to the file names listed in `files`. */
  dir: string;
  files: string[];
}

export interface UiActions {
  /** The lab as now observed (model + lab status), drawn; the pods of `expanded` nodes shown however many. */
  snapshot(expanded: ReadonlySet<string>): Promise<UiSnapshot>;
  /** Every path, or only `paths` (the page asks for `network-policy` alone to draw the matrix). */
  verify(paths?: string[]): Promise<unknown>;
  trace(pathId: string): Promise<UiTrace>;
  tracePaths(): string[];
  /** The lab's fault timeline, as `lab watch --json` prints it (src/lab/timeline.ts WatchEvent). */
  timeline?(): Promise<unknown[]>;
  /** Paths verify can run for this lab (the page offers the matrix only when network-policy is one). */
  verifyPaths?(): Promise<string[]>;
}

export interface UiOptions {
  host: string;
  port: number;
  /** Static files of the page. */
  webDir: string;
  actions: UiActions;
  /** How often the live state is looked at (ms). */
  pollMs?: number;
  /** Required in the URL (`?token=`) when set; set whenever the host is not loopback. */
  token?: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127\./.test(host);
export const newToken = (): string => randomBytes(16).toString('hex');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const STATIC = new Set(['index.html', 'app.js', 'app.css']);

export interface UiServer {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

export async function startUiServer(o: UiOptions): Promise<UiServer> {
  const clients = new Set<http.ServerResponse>();
  let last: UiSnapshot | undefined;
  let lastKey = '';
  let lastError = '';
  let lastTimeline = '[]';
  const traces = new Map<string, UiTrace>();
  // Nodes whose pods the viewer opened (one lab, one local user: shared by every page).
  const expanded = new Set<string>();
  let busy: Promise<unknown> = Promise.resolve();
  // One action at a time: a verify and a trace at once would see each other's packets.
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = busy.then(f, f);
    busy = p.catch(() => undefined);
    return p;
  };
  const send = (res: http.ServerResponse, event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

  const poll = async () => {
    try {
      const snap = await o.actions.snapshot(expanded);
      lastError = '';
      const key = snap.svg;
      if (key !== lastKey) {
        last = snap;
        lastKey = key;
        for (const c of clients) send(c, 'graph', snap);
      }
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== lastError) for (const c of clients) send(c, 'problem', { message: msg });
      lastError = msg;
    }
    if (o.actions.timeline)
      try {
        const t = JSON.stringify(await o.actions.timeline());
        if (t !== lastTimeline) {
          lastTimeline = t;
          for (const c of clients) sendRaw(c, 'timeline', t);
        }
      } catch {
        // the lab is going away: the graph poll reports the problem
      }
  };
  const sendRaw = (r: http.ServerResponse, event: string, raw: string) => r.write(`event: ${event}\ndata: ${raw}\n\n`);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    await poll();
    if (!stopped) timer = setTimeout(loop, o.pollMs ?? 1500);
  };

  const json = (res: http.ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://lab.invalid');
    if (o.token && url.searchParams.get('token') !== o.token)
      return json(res, 403, { error: 'token required: open the URL lab ui printed' });
    const p = url.pathname;
    if (req.method === 'GET' && (p === '/' || STATIC.has(p.slice(1)))) {
      const file = p === '/' ? 'index.html' : p.slice(1);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)], 'cache-control': 'no-store' });
      return res.end(fs.readFileSync(path.join(o.webDir, file)));
    }
    if (req.method === 'GET' && p === '/api/graph') {
      if (!last) await poll();
      return last ? json(res, 200, last) : json(res, 503, { error: lastError || 'no state yet' });
    }
    if (req.method === 'GET' && p === '/api/paths')
      return json(res, 200, { trace: o.actions.tracePaths(), verify: (await o.actions.verifyPaths?.()) ?? [] });
    if (req.method === 'GET' && p === '/api/timeline') return json(res, 200, JSON.parse(lastTimeline));
    if (req.method === 'GET' && p === '/api/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      clients.add(res);
      if (last) send(res, 'graph', last);
      if (o.actions.timeline) res.write(`event: timeline\ndata: ${lastTimeline}\n\n`);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (req.method === 'POST' && p === '/api/toggle') {
      const node = url.searchParams.get('node') ?? '';
      if (!last?.graph.groups.some((g) => g.kind === 'node' && g.label === node))
        return json(res, 400, { error: `no node "${node}"` });
      if (!expanded.delete(node)) expanded.add(node);
      await poll();
      return json(res, 200, { expanded: [...expanded] });
    }
    if (req.method === 'POST' && p === '/api/verify') {
      const only = url.searchParams.getAll('path');
      const known = (await o.actions.verifyPaths?.()) ?? [];
      const bad = only.find((x) => !known.includes(x));
      if (bad !== undefined) return json(res, 400, { error: `unknown path "${bad}"` });
      return json(res, 200, await serial(() => o.actions.verify(only.length ? only : undefined)));
    }
    if (req.method === 'POST' && p === '/api/trace') {
      const id = url.searchParams.get('path') ?? '';
      if (!o.actions.tracePaths().includes(id)) return json(res, 400, { error: `unknown path "${id}"` });
      const t = await serial(() => o.actions.trace(id));
      const key = randomBytes(6).toString('hex');
      traces.set(key, t);
      return json(res, 200, { ...t.doc, trace: key, files: t.files });
    }
    const m = /^\/api\/pcap\/([0-9a-f]+)\/([^/]+)$/.exec(p);
    if (req.method === 'GET' && m) {
      const t = traces.get(m[1]);
      const name = decodeURIComponent(m[2]);
      // Only the pcaps that trace wrote, by exact name: no path reaches anything else.
      if (!t || !t.files.includes(name)) return json(res, 404, { error: 'no such capture' });
      res.writeHead(200, {
        'content-type': 'application/vnd.tcpdump.pcap',
        'content-disposition': `attachment; filename="${name}"`,
      });
      return fs.createReadStream(path.join(t.dir, name)).pipe(res);
    }
    json(res, 404, { error: 'not found' });
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => json(res, 500, { error: (err as Error).message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  void loop();
  const addr = server.address() as { address: string; port: number };
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}/${o.token ? `?token=${o.token}` : ''}`;
  return {
    server,
    url,
    close: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const c of clients) c.end();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
