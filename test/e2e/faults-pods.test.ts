/**
 * Pod faults on a running guide lab under `lab watch --json --time-scale 0.1`: pod-unready (the pod
 * answers but fails its readiness check: its endpoint leaves every node's rules at the 3rd failed
 * check in a row, Kubernetes' default failureThreshold 3, one every periodSeconds 10 × 0.1 = 1 s:
 * 2–3 s after the fault; it comes back at the first success)
 * and dns-down (every DNS pod stops answering: the dns path fails, no endpoint changes). Each:
 * inject, timeline in order, the expected paths fail, clear, every path passes again.
 */
import { lab, labName } from './helpers';
import { WatchEvent, WatchRecorder, sleep, startWatch, verifyPath } from './watch-events';

jest.setTimeout(900_000);

const name = labName('o-faults-pods');
const SCALE = 0.1;
// Kubernetes' readiness defaults (periodSeconds 10, failureThreshold 3): not ready at the 3rd failed
// check in a row, so at least 2 periods after the first failed check, which comes after the fault.
const UNREADY_MS = (3 - 1) * 10_000 * SCALE;

let w: WatchRecorder;

beforeAll(async () => {
  expect((await lab(['up', '--name', name, '--no-verify'])).exitCode).toBe(0);
  w = startWatch(name, ['--time-scale', String(SCALE)]);
  await sleep(6000); // its initial sync
});

afterEach(async () => {
  await lab(['fault', 'clear', '--all', '--name', name]);
});

afterAll(async () => {
  await w?.stop();
  await lab(['down', '--name', name]);
});

it('refuses a pod that does not serve netexec, and a DNS target that is no DNS pod (exit 2, TARGET)', async () => {
  const r = await lab(['fault', 'inject', 'pod-unready', 'default/nope', '--name', name]);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toMatch(/TARGET: no pod default\/nope/);
  const r2 = await lab(['fault', 'inject', 'dns-down', 'default/pod1', '--name', name]);
  expect(r2.exitCode).toBe(2);
  expect(r2.stderr).toMatch(/TARGET: pod default\/pod1 is not a cluster DNS pod/);
  expect((await lab(['fault', 'list', '--name', name])).stdout).toBe('no active fault');
});

it('pod-unready: endpoint out of every node at the 3rd failed check (10 s × scale apart), the Service paths through it fail; clear heals', async () => {
  const st = JSON.parse((await lab(['status', '--name', name, '--json'])).stdout) as {
    pods: Array<{ name: string; node: string; ip: string }>;
  };
  const web = st.pods.find((p) => p.name.startsWith('web-') && p.node === 'node1')!;
  const ep = new RegExp(`default/web:http -${web.ip.replace(/\./g, '\\.')}:8080 \\(not ready\\)`);
  const from = w.mark();
  const inj = await lab(['fault', 'inject', 'pod-unready', web.name, '--name', name]);
  expect(inj.exitCode).toBe(0);
  const injected = await w.waitFor(from, (e) => e.kind === 'fault-injected' && /pod-unready/.test(e.detail), 'fault');
  const out = await w.waitFor(from, (e) => e.kind === 'endpoint-not-ready' && ep.test(e.detail), 'endpoint not ready');
  const rules = await Promise.all(
    ['node1', 'node2', 'node3'].map((n) =>
      w.waitFor(from, (e) => e.kind === 'rules-synced' && e.node === n && ep.test(e.detail), `rules-synced ${n}`),
    ),
  );
  // Not before Kubernetes would: (failureThreshold − 1) × periodSeconds after the fault at the least.
  expect(out.at - injected.at).toBeGreaterThanOrEqual(UNREADY_MS);
  for (const r of rules) expect(r.at).toBeGreaterThanOrEqual(out.at);
  // No node went NotReady: only the pod's readiness changed.
  expect(w.events.slice(from).some((e) => e.kind === 'node-not-ready')).toBe(false);
  const during = await verifyPath(name, 'pod-to-service');
  expect(during.ok).toBe(false);
  expect(during.fails.length).toBeGreaterThan(0);
  expect(during.fails.every((l) => l.includes(web.name))).toBe(true);
  const c = w.mark();
  expect((await lab(['fault', 'clear', '--all', '--name', name])).exitCode).toBe(0);
  const back = new RegExp(`default/web:http \\+${web.ip.replace(/\./g, '\\.')}:8080`);
  await w.waitFor(c, (e) => e.kind === 'endpoint-ready' && back.test(e.detail), 'endpoint ready again');
  await w.waitFor(
    c,
    (e) => e.kind === 'rules-synced' && e.node === 'node1' && back.test(e.detail),
    'back in node1 rules',
  );
  expect((await verifyPath(name, 'pod-to-service')).ok).toBe(true);
  process.stdout.write(
    `pod-unready timeline (scale ${SCALE}, expected ${UNREADY_MS}–${UNREADY_MS + 10_000 * SCALE} ms): endpoint out +${out.at - injected.at}ms, rules ${rules.map((r) => `${r.node} +${r.at - injected.at}ms`).join(' ')}\n`,
  );
});

it('dns-down all: the dns path fails; CoreDNS pods fail their readiness check and leave at its 3rd failure; clear heals, then every path passes', async () => {
  const status = (await lab(['status', '--name', name])).stdout;
  // Expected from the model: the lab checks CoreDNS over the network (it fails), the offline server over lo (it does not).
  const coredns = /\bdns coredns\b/.test(status);
  const from = w.mark();
  const inj = await lab(['fault', 'inject', 'dns-down', 'all', '--name', name]);
  expect(inj.exitCode).toBe(0);
  expect(inj.stdout).toMatch(/stop answering DNS/);
  const injected = await w.waitFor(from, (e) => e.kind === 'fault-injected' && /dns-down all/.test(e.detail), 'fault');
  const during = await verifyPath(name, 'dns');
  expect(during.ok).toBe(false);
  expect(during.fails.length).toBeGreaterThan(0);
  const isDnsOut = (e: WatchEvent) => e.kind === 'endpoint-not-ready' && /kube-dns:dns /.test(e.detail);
  if (coredns) await w.waitFor(from, isDnsOut, 'the DNS endpoints leaving (CoreDNS readiness failed)');
  const dnsOut = w.events.slice(from).filter(isDnsOut);
  if (coredns) for (const e of dnsOut) expect(e.at - injected.at).toBeGreaterThanOrEqual(UNREADY_MS);
  else expect(dnsOut).toEqual([]);
  const c = w.mark();
  expect((await lab(['fault', 'clear', '--all', '--name', name])).exitCode).toBe(0);
  if (coredns)
    await w.waitFor(
      c,
      (e) => e.kind === 'rules-synced' && e.node === 'node3' && /kube-dns:dns \+/.test(e.detail),
      'DNS back',
    );
  expect((await verifyPath(name, 'dns')).ok).toBe(true);
  const all = await lab(['verify', '--name', name]);
  expect(all.stdout).toMatch(/all \d+ probes passed/);
  process.stdout.write(
    `dns-down all (${coredns ? 'coredns' : 'offline'}, scale ${SCALE}): DNS endpoints out ${dnsOut.map((e) => `+${e.at - injected.at}ms`).join(' ') || 'never (ready over lo)'}\n`,
  );
});
