/**
 * Faults on a running guide lab under `lab watch --json --time-scale 0.1` (node-monitor-grace-period
 * 50 s → 5 s, CrashLoopBackOff 10 s → 1 s): per fault kind, inject it, see the timeline events in
 * Kubernetes' order, see the paths across it fail, clear it, see them pass again. Ends with a
 * stopped node (not clearable: its links died with it) and `lab down` removing it all.
 */
import execa from 'execa';
import { lab, labContainers, labName } from './helpers';
import { WatchRecorder, sleep, startWatch, verifyPath } from './watch-events';

jest.setTimeout(600_000);

const name = labName('h-faults');
const SCALE = 0.1;
const GRACE_MS = 50_000 * SCALE;

let w: WatchRecorder;

beforeAll(async () => {
  const up = await lab(['up', '--name', name, '--no-verify']);
  expect(up.exitCode).toBe(0);
  w = startWatch(name, ['--no-eviction', '--time-scale', String(SCALE)]);
  await sleep(5000); // its initial sync
});

// A failed test must not leave its fault for the next one.
afterEach(async () => {
  await lab(['fault', 'clear', '--all', '--name', name]);
});

afterAll(async () => {
  await w?.stop();
  await lab(['down', '--name', name]);
});

it('refuses bad input with the field and exit 2, nothing recorded', async () => {
  const r = await lab(['fault', 'inject', 'meteor', 'node1', '--name', name]);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toMatch(/KIND: unknown fault kind meteor/);
  const r2 = await lab(['fault', 'inject', 'link-loss', 'node2', '--percent', '0', '--name', name]);
  expect(r2.exitCode).toBe(2);
  expect(r2.stderr).toMatch(/--percent/);
  expect((await lab(['fault', 'list', '--name', name])).stdout).toBe('no active fault');
});

it("node-freeze: heartbeat missed, NotReady after the grace period, endpoints out of every other node's rules; clear heals", async () => {
  const from = w.mark();
  const inj = await lab(['fault', 'inject', 'node-freeze', 'node2', '--name', name]);
  expect(inj.exitCode).toBe(0);
  const id = /^(f\d+) /.exec(inj.stdout)![1];
  expect((await lab(['fault', 'list', '--name', name])).stdout).toMatch(new RegExp(`${id} +node-freeze +node2`));
  const injected = await w.waitFor(from, (e) => e.kind === 'fault-injected' && e.node === 'node2', 'fault-injected');
  const missed = await w.waitFor(from, (e) => e.kind === 'heartbeat-missed' && e.node === 'node2', 'heartbeat-missed');
  const notReady = await w.waitFor(from, (e) => e.kind === 'node-not-ready' && e.node === 'node2', 'node-not-ready');
  const epOut = await w.waitFor(
    from,
    (e) => e.kind === 'endpoint-not-ready' && /default\/web:http -10\.244\.1\.\d+:8080 \(not ready\)/.test(e.detail),
    'web endpoint on node2 not ready',
  );
  const rules = await Promise.all(
    ['node1', 'node3'].map((n) =>
      w.waitFor(
        from,
        (e) => e.kind === 'rules-synced' && e.node === n && /default\/web:http -10\.244\.1\./.test(e.detail),
        `rules-synced on ${n}`,
      ),
    ),
  );
  // Kubernetes' order; NotReady no sooner than the grace period after the last heartbeat (which
  // came up to one watch iteration before the fault, as a Lease renewed up to 10 s before it).
  expect(missed.at).toBeGreaterThanOrEqual(injected.at);
  expect(notReady.at).toBeGreaterThan(missed.at);
  const silence = Number(/no heartbeat for ([\d.]+)s/.exec(notReady.detail)![1]) * 1000;
  expect(silence).toBeGreaterThanOrEqual(GRACE_MS);
  expect(notReady.at - missed.at).toBeLessThanOrEqual(GRACE_MS + 1000);
  expect(epOut.at).toBeGreaterThanOrEqual(notReady.at);
  for (const r of rules) expect(r.at).toBeGreaterThanOrEqual(epOut.at);
  // node2 is never synced while frozen.
  expect(w.events.slice(from).some((e) => e.kind === 'rules-synced' && e.node === 'node2')).toBe(false);
  const st = JSON.parse((await lab(['status', '--name', name, '--json'])).stdout);
  expect(st.nodes.find((n: { name: string }) => n.name === 'node2').status).toBe('NotReady (container paused)');
  const during = await verifyPath(name, 'pod-to-pod-cross-node');
  expect(during.ok).toBe(false);
  expect(during.fails.every((l) => /node2/.test(l))).toBe(true);
  // Clear: the node answers again, is Ready, its endpoints come back everywhere, every path passes.
  const c = w.mark();
  expect((await lab(['fault', 'clear', id, '--name', name])).exitCode).toBe(0);
  await w.waitFor(c, (e) => e.kind === 'node-ready' && e.node === 'node2', 'node-ready');
  await w.waitFor(
    c,
    (e) => e.kind === 'rules-synced' && e.node === 'node1' && /default\/web:http \+10\.244\.1\./.test(e.detail),
    'web endpoint back in node1 rules',
  );
  const all = await lab(['verify', '--name', name]);
  expect(all.stdout).toMatch(/all \d+ probes passed/);
  process.stdout.write(
    `node-freeze timeline (scale ${SCALE}): heartbeat-missed +${missed.at - injected.at}ms, NotReady +${notReady.at - injected.at}ms, endpoint out +${epOut.at - injected.at}ms, rules node1 +${rules[0].at - injected.at}ms node3 +${rules[1].at - injected.at}ms\n`,
  );
});

it('partition: exactly the paths between the two nodes fail; the nodes stay Ready; clear heals', async () => {
  const from = w.mark();
  const inj = await lab(['fault', 'inject', 'partition', 'node1', '--from', 'node2', '--name', name]);
  expect(inj.exitCode).toBe(0);
  const id = /^(f\d+) /.exec(inj.stdout)![1];
  const during = await verifyPath(name, 'pod-to-pod-cross-node');
  expect(during.fails.sort()).toEqual(['FAIL  pod1@node1 -> pod3@node2', 'FAIL  pod3@node2 -> pod1@node1']);
  // As in Kubernetes, a partition between nodes is no heartbeat loss (the control plane reaches both).
  expect(w.events.slice(from).some((e) => e.kind === 'heartbeat-missed' || e.kind === 'node-not-ready')).toBe(false);
  expect((await lab(['fault', 'clear', id, '--name', name])).exitCode).toBe(0);
  const rs = await execa('docker', ['exec', `k8s-netlab-${name}-node1`, 'nft', 'list', 'tables'], { reject: false });
  expect(rs.stdout).not.toMatch(/k8s_netlab_fault/);
  expect((await verifyPath(name, 'pod-to-pod-cross-node')).ok).toBe(true);
});

it('link-loss: about P% per crossing each way, by nftables numgen; clear restores', async () => {
  const ping = async () => {
    const r = await lab([
      'exec',
      '--name',
      name,
      'pod1',
      '--',
      'sh',
      '-c',
      'ping -c 200 -i 0.02 -W 1 10.244.1.2 | grep transmitted',
    ]);
    const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
    if (!m) throw new Error(`no ping summary: ${r.stdout} ${r.stderr}`);
    return 1 - Number(m[2]) / Number(m[1]);
  };
  const inj = await lab(['fault', 'inject', 'link-loss', 'node2', '--percent', '50', '--name', name]);
  expect(inj.stdout).toMatch(/no netem/);
  const loss = await ping();
  // 50% each way: a round trip survives with 0.25; 200 samples keep it well inside 0.55..0.92.
  expect(loss).toBeGreaterThan(0.55);
  expect(loss).toBeLessThan(0.92);
  expect((await lab(['fault', 'clear', '--all', '--name', name])).exitCode).toBe(0);
  expect(await ping()).toBeLessThan(0.05);
  process.stdout.write(`link-loss 50% each way: ${(loss * 100).toFixed(1)}% of 200 pings lost (expected 75%)\n`);
});

it('pod-kill: the kubelet restarts it, and a second death waits in CrashLoopBackOff (10 s × scale)', async () => {
  const from = w.mark();
  expect((await lab(['fault', 'inject', 'pod-kill', 'default/pod3', '--name', name])).exitCode).toBe(0);
  await w.waitFor(
    from,
    (e) => e.kind === 'container-restarted' && /default\/pod3\/web \(restart 1\)/.test(e.detail),
    'first restart',
  );
  const again = w.mark();
  expect((await lab(['fault', 'inject', 'pod-kill', 'default/pod3', '--name', name])).exitCode).toBe(0);
  const bo = await w.waitFor(again, (e) => e.kind === 'back-off' && /default\/pod3/.test(e.detail), 'back-off');
  expect(bo.detail).toMatch(/Back-off (0\.\d|1\.0)s restarting failed container/);
  const second = await w.waitFor(
    again,
    (e) => e.kind === 'container-restarted' && /default\/pod3\/web \(restart 2\)/.test(e.detail),
    'second restart',
  );
  expect(second.at - bo.at).toBeGreaterThanOrEqual(500);
  await lab(['fault', 'clear', '--all', '--name', name]);
  await sleep(2000);
  expect((await verifyPath(name, 'pod-to-pod-cross-node')).ok).toBe(true);
});

it('node-stop: the watch notices the dead node (no 409 loop), status says NotReady; lab down removes it with a frozen node and its faults', async () => {
  const from = w.mark();
  expect((await lab(['fault', 'inject', 'node-stop', 'node3', '--name', name])).exitCode).toBe(0);
  const nr = await w.waitFor(from, (e) => e.kind === 'node-not-ready' && e.node === 'node3', 'node3 NotReady');
  expect(nr.detail).toMatch(/node container exited/);
  await w.waitFor(
    from,
    (e) => e.kind === 'endpoint-not-ready' && /10\.244\.2\./.test(e.detail),
    'node3 endpoints not ready',
  );
  const st = JSON.parse((await lab(['status', '--name', name, '--json'])).stdout);
  expect(st.nodes.find((n: { name: string }) => n.name === 'node3').status).toBe('NotReady (container exited)');
  const clear = await lab(['fault', 'clear', '--all', '--name', name]);
  expect(clear.stdout).toMatch(/node3 stays stopped/);
  // Never the engine's raw `HTTP code 409 ... is not running/paused` (it looped twice a second before).
  const log = (await w.stop()).stderr;
  expect(log).toMatch(/node3 NotReady/);
  // The engine's refusal ("HTTP code 409 … is not running"), not a figure such as "4092ms".
  expect(log).not.toMatch(/\b409\b/);
  // lab down removes a lab with a stopped node, a frozen node and an active fault recorded.
  expect((await lab(['fault', 'inject', 'node-freeze', 'node1', '--name', name])).exitCode).toBe(0);
  expect((await lab(['fault', 'list', '--name', name])).stdout).toMatch(/node-freeze +node1/);
  expect((await lab(['down', '--name', name])).exitCode).toBe(0);
  expect(await labContainers(name)).toEqual([]);
});
