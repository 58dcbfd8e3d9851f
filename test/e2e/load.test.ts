/**
 * `lab load` on a running guide lab: every request right when nothing is broken (pods on each
 * node to the ClusterIP, the Internet host to the LoadBalancer), refused where kube-proxy rejects
 * (a Service without endpoints), and during a node-stop under `lab watch --time-scale 0.1`: the
 * requests sent to the dead node's pod fail until its endpoint leaves each node's rules, which
 * Kubernetes does no sooner than node-monitor-grace-period × time-scale after the node went
 * silent, and not one error after.
 */
import { lab, labName } from './helpers';
import { sleep, startWatch } from './watch-events';

jest.setTimeout(600_000);

const name = labName('o-load');
const SCALE = 0.1;
const GRACE_MS = 50_000 * SCALE;

interface Window {
  from: number;
  to: number;
  ms: number;
  errors: number;
}
interface Summary {
  source: string;
  requests: number;
  ok: number;
  errors: Record<string, number>;
  longestDisruption?: Window;
  errorsAfter: number;
  stopped?: string;
  samples: Record<string, string>;
  backends: Record<string, number>;
}
interface LoadJson {
  backends: string[];
  fault?: { id: string; kind: string; at: string; sinceStartMs: number };
  sources: Summary[];
}

async function load(args: string[]): Promise<LoadJson> {
  const r = await lab(['load', ...args, '--name', name, '--json']);
  if (r.exitCode !== 0) throw new Error(`lab load ${args.join(' ')}: exit ${r.exitCode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as LoadJson;
}

beforeAll(async () => {
  expect((await lab(['up', '--name', name, '--no-verify'])).exitCode).toBe(0);
});

afterAll(async () => {
  await lab(['down', '--name', name]);
});

it('nothing broken: every request from a pod on each node and from the Internet is answered by a web pod', async () => {
  const pods = await load(['web', '--duration', '3']);
  expect(pods.sources.map((s) => s.source)).toEqual(['node1', 'node2', 'node3']);
  for (const s of pods.sources) {
    expect(s.requests).toBe(30);
    // On failure: which errors, with a sample of each.
    expect(`${s.source} ${s.ok} ${JSON.stringify(s.errors)} ${JSON.stringify(s.samples)}`).toBe(`${s.source} 30 {} {}`);
    expect(Object.keys(s.backends).every((b) => pods.backends.includes(b))).toBe(true);
  }
  const inet = await load(['web', '--from', 'internet', '--duration', '3']);
  expect(inet.sources.map((s) => [s.source, s.requests, s.ok])).toEqual([['internet', 30, 30]]);
});

it('a Service without endpoints: every request refused (kube-proxy rejects), one outage the whole run', async () => {
  // 2/s: the kernel rate-limits the ICMP port-unreachable of the REJECT per peer (burst 6, then 1/s;
  // net.ipv4.icmp_ratelimit), and a SYN whose ICMP was held back times out instead (seen at 5/s).
  const r = await load(['no-backends', '--duration', '2', '--rate', '2']);
  for (const s of r.sources) {
    expect(s.errors).toEqual({ refused: 4 });
    expect(s.longestDisruption!.errors).toBe(4);
  }
});

it('node-stop: requests to the dead pod fail for the grace period × time-scale, until the endpoint leaves the rules; none after', async () => {
  const w = startWatch(name, ['--time-scale', String(SCALE)]);
  try {
    await sleep(6000); // the watch's initial sync
    // 40 s: the outage (grace × scale, 5 s, plus the sync) ends well inside the run even on a loaded
    // machine, so "none after" is observed, not vacuous.
    const running = load(['web', '--duration', '40']);
    await sleep(4000);
    expect((await lab(['fault', 'inject', 'node-stop', 'node2', '--name', name])).exitCode).toBe(0);
    const r = await running;
    expect(r.fault?.kind).toBe('node-stop');
    const faultAt = Date.parse(r.fault!.at);
    // The watch's events, awaited (a loaded machine may print them after the load run returned).
    const synced = (n: string) =>
      w.waitFor(
        0,
        (e) => e.kind === 'rules-synced' && e.node === n && /default\/web:http -10\.244\.1\./.test(e.detail),
        `node2's endpoints out of ${n}'s rules`,
      );
    const notReady = await w.waitFor(0, (e) => e.kind === 'node-not-ready' && e.node === 'node2', 'node2 NotReady');
    const lines: string[] = [];
    for (const src of ['node1', 'node3']) {
      const s = r.sources.find((x) => x.source === src)!;
      const rules = await synced(src);
      const d = s.longestDisruption!;
      expect(d).toBeDefined();
      // Only the dead pod's requests fail, as timeouts (or a reset/unreachable): never refused, never a wrong backend.
      expect([
        src,
        Object.keys(s.errors).filter((k) => !['timeout', 'reset', 'unreachable'].includes(k)),
        s.samples,
      ]).toEqual([src, [], s.samples]);
      // Kubernetes keeps the endpoint for the grace period after the node's last heartbeat: the
      // errors go on at least that long after the fault (less one watch interval of heartbeat age)...
      expect(d.to - faultAt).toBeGreaterThanOrEqual(GRACE_MS - 1500);
      // ...and end when the endpoint left this node's rules: the last failure was sent before it.
      expect(d.to - 100).toBeLessThanOrEqual(rules.at + 300);
      expect(s.errorsAfter).toBe(0);
      lines.push(
        `from ${src}: ${s.requests - s.ok} of ${s.requests} failed (${Object.entries(s.errors)
          .map(([k, n]) => `${k} ${n}`)
          .join(
            ', ',
          )}), disrupted ${(d.ms / 1000).toFixed(2)}s (fault +${((d.from - faultAt) / 1000).toFixed(2)}s to +${((d.to - faultAt) / 1000).toFixed(2)}s), rules synced +${((rules.at - faultAt) / 1000).toFixed(2)}s; expected grace × scale ${GRACE_MS / 1000}s, error ${((d.to - faultAt - GRACE_MS) / 1000).toFixed(2)}s`,
      );
    }
    // The client on node2 died with its node: it says so, and what it finished before is kept.
    expect(r.sources.find((x) => x.source === 'node2')!.stopped).toMatch(/ended without its report/);
    process.stdout.write(
      `node-stop node2 under lab load (scale ${SCALE}): NotReady +${((notReady.at - faultAt) / 1000).toFixed(2)}s; ${lines.join('; ')}\n`,
    );
  } finally {
    await w.stop();
  }
});
