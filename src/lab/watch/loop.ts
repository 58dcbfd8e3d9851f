/**
 * The control loop of a running lab, as a kubelet, the node lifecycle and EndpointSlice
 * controllers and kube-proxy run it together: every interval observe every pod (process alive,
 * /healthz ready), restart containers whose process died (container-restarts.ts) or whose liveness
 * probe gave up (probe-runs.ts), and when the ready endpoints changed, sync every node's proxy
 * (incrementally, from the state in memory). Beside it, on their own timers: node heartbeats
 * (heartbeats.ts), readiness rounds (readiness-ticker.ts) and CNI CHECK rounds (cni-check.ts); in
 * it, taint-based eviction (taint-eviction.ts) and the re-plumbing of restarted node containers
 * (restarted-nodes.ts).
 *
 * A readiness change decided between iterations (a container reaching failureThreshold failed
 * checks in a row, or answering again) is synced at once, not at the next iteration: in Kubernetes
 * the change is pushed, never polled. The kubelet's syncLoopIteration sets the container's
 * readiness in its status manager as soon as the prober's result changes (readinessManager.Updates(),
 * pkg/kubelet/kubelet.go); the EndpointSlice controller handles the pod update without batching
 * (--endpointslice-updates-batch-period defaults to 0); kube-proxy syncs on the slice event
 * (docs/reference/readiness-propagation.md; Kubernetes v1.31).
 */
import type { LabModel } from '../../model/types';
import { computeEndpoints, EndpointSlice } from '../../proxy/endpoints';
import { endpointChanges } from './endpoint-changes';
import { clock, clockMs } from './log-time';
import { NodesSilent, unlessNodeDies, withoutNodes } from './node-silence';
import type { ProxyState } from '../../proxy/plan';
import { observePods, PodObservation } from '../kubelet';
import { ContainerProbeState, probeReady } from '../prober';
import { podKey, syncProxy } from '../proxy';
import { readModel } from '../state';
import { listLabContainers } from '../../runtime/containers';
import { NODE_MONITOR_GRACE_PERIOD_MS, NodeEvent, NodeLifecycle } from '../node-lifecycle';
import { Heartbeats, NODE_LEASE_RENEW_INTERVAL_MS, nodeAnswers } from './heartbeats';
import { watchClocks } from './clocks';
import { runDueProbes } from './probe-runs';
import { ContainerRestarts } from './container-restarts';
import { TaintEviction } from './taint-eviction';
import { CniCheckRounds } from './cni-check';
import { RepairDeps, RestartedNodeRepair, restartedNodes } from './restarted-nodes';
import { lockLab } from '../lock';
import { repairNodes } from '../node-repair';
import type { WatchEvent } from '../../report/timeline';
import {
  DEFAULT_READINESS_FAILURE_THRESHOLD,
  DEFAULT_READINESS_PERIOD_MS,
  ImpliedReadiness,
} from '../implied-readiness';
import { ReadinessTicker } from './readiness-ticker';
import { readFaultView } from '../faults/watch-view';
import { LbHealthWatch } from '../faults/lb-watch';
import { LoopWake } from './loop-wake';
import { Serial } from './serial';
import { readCurrentView } from './current-view';

export interface WatchOptions {
  lab: string;
  intervalMs: number;
  /** Run one iteration and return. */
  once?: boolean;
  /** How often to run CNI CHECK on every pod's network (default 10 s; 0 never). */
  cniCheckMs?: number;
  log?: (line: string) => void;
  /** Set `stopped` to end the loop after the current iteration; `wake` cuts the wait short. */
  control?: { stopped: boolean; wake?: () => void };
  /** Multiplies Kubernetes' timings (grace period, CrashLoopBackOff): 0.1 runs them 10 × faster. */
  timeScale?: number;
  /** Evict the pods of a node NotReady for the not-ready toleration (300 s × time-scale); on unless false. */
  eviction?: boolean;
  /** Re-plumb a node container that runs again without its links (restarted); on unless false. */
  repair?: boolean;
  /** How the repair locks the lab and re-plumbs (tests fake them); src/lab/lock.ts and node-repair.ts. */
  repairDeps?: RepairDeps;
  /** Every timeline event as it happens (src/lab/timeline.ts). */
  onEvent?: (e: WatchEvent) => void;
}

export interface WatchStats {
  iterations: number;
  syncs: number;
  restarts: number;
  /** CNI CHECK rounds run, and pod checks that failed. */
  cniChecks: number;
  cniFailures: number;
  /** Heartbeat (lease renewal) rounds run on their own timer, and the longest one (ms). */
  heartbeatRounds: number;
  longestHeartbeatMs: number;
}

/** What an iteration observed and decided from: a readiness sync between iterations decides from it again. */
interface Seen {
  model: LabModel;
  obs: PodObservation[];
  /** Nodes not exec'd into (not answering, heartbeat missed). */
  silent: Set<string>;
  /** Nodes whose kube-proxy is stuck (fault): never synced. */
  stuck: Map<string, string>;
}

export async function watchLab(opts: WatchOptions): Promise<WatchStats> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const say = (l: string) => log(`${clock()} ${l}`);
  const control = opts.control ?? { stopped: false };
  // A wake while the loop is busy is kept for its next wait (src/lab/watch/loop-wake.ts).
  const wait = new LoopWake();
  control.wake = () => wait.wake();
  // The loop's syncs, readiness syncs between iterations, repairs and evictions: one at a time.
  const serial = new Serial();
  const stats: WatchStats = {
    iterations: 0,
    syncs: 0,
    restarts: 0,
    cniChecks: 0,
    cniFailures: 0,
    heartbeatRounds: 0,
    longestHeartbeatMs: 0,
  };
  const cni = new CniCheckRounds(opts.lab, opts.cniCheckMs ?? 10_000, say);
  let states: Map<string, ProxyState> | undefined;
  let lastModel: string | undefined;
  let synced: string | undefined;
  let syncedSlices: EndpointSlice[] | undefined;
  // The kubelet's probe workers, per `ns/pod/container` (src/lab/prober.ts).
  const probeStates = new Map<string, ContainerProbeState>();
  const scale = opts.timeScale ?? 1;
  const emit = (e: WatchEvent) => opts.onEvent?.(e);
  const kubelet = new ContainerRestarts(scale, emit, say);
  // The node lifecycle controller (heartbeats, NotReady) and the kubelet's restart back-off.
  let lifecycle: NodeLifecycle | undefined;
  // Containers without a readinessProbe: Kubernetes' default probe timing (--once has no history: as observed).
  const implied = new ImpliedReadiness(opts.once ? 0 : scale);
  // What an observation saw of containers without a readinessProbe (/healthz) feeds their implied readiness.
  const feedImplied = (obs: PodObservation[], silent: ReadonlySet<string>, from: number, to: number) => {
    for (const o of obs) {
      if (silent.has(o.pod.node)) continue;
      for (const c of o.pod.containers) {
        if (c.probes && (c.probes.readiness || c.probes.startup)) continue;
        const seen = o.containers.find((x) => x.container === c.name);
        if (!seen?.alive) continue;
        const key = `${podKey(o.pod)}/${c.name}`;
        // A failure counts from when the node had probed it, if it said (never before the round began nor after it ended).
        const seenAt = o.at === undefined ? to : Math.min(to, Math.max(from, o.at));
        const change = implied.observe(key, seen.ready !== false, from, seenAt);
        if (change === 'failing')
          say(
            `kubelet: ${key} /healthz failing (no readinessProbe: Kubernetes' default: ${DEFAULT_READINESS_FAILURE_THRESHOLD} failed checks in a row, one every ${DEFAULT_READINESS_PERIOD_MS / 1000}s x ${scale}): not ready at ${clockMs(new Date(seenAt + implied.thresholdMs))} unless it answers`,
          );
        else if (change === 'answering') say(`kubelet: ${key} /healthz answers again: ready`);
      }
    }
  };
  let lastSilent: ReadonlySet<string> = new Set();
  let decisionTimer: NodeJS.Timeout | undefined;
  // Readiness probing on its own period (src/lab/watch/readiness-ticker.ts): a failure is seen
  // within a period whatever the loop does, and synced when it reaches the threshold (planDecision).
  const readiness = new ReadinessTicker(
    DEFAULT_READINESS_PERIOD_MS * scale,
    async () => {
      const m = current;
      if (!m) return;
      const live = withoutNodes(m, new Set(lastSilent));
      const from = Date.now();
      const obs = await unlessNodeDies(observePods(live, { probes: false }), opts.lab, live.nodes);
      feedImplied(obs, lastSilent, from, Date.now());
      planDecision();
      // A container seen answering again is ready at once (successThreshold 1): synced now.
      void readinessSync();
    },
    () => undefined, // a node that stops answering mid-round: the heartbeats report it
  );
  let lastReady = new Set<string>();
  // The newest read of the stored model and proxy-stuck faults (the loop's or a heartbeat round's; `at`: when it began).
  let stored: { at: number; modelText?: string; stuck: string } | undefined;
  // The containers not ready by implied readiness at the last decision (ImpliedReadiness.notReady).
  let impliedDecided = '';
  // The last iteration's observation (src/lab/watch/loop.ts Seen); undefined before the first.
  let lastSeen: Seen | undefined;
  // When a failing container reaches the threshold: its readiness is synced then, whatever the loop does.
  const planDecision = () => {
    clearTimeout(decisionTimer);
    if (control.stopped) return;
    const next = implied.nextDecision(Date.now());
    if (next !== undefined)
      decisionTimer = setTimeout(() => void readinessSync(next), Math.max(0, next - Date.now() + 1));
  };
  // Pod keys ready at `now` from what `seen` observed: processes alive, probes or implied readiness.
  const readyOf = (seen: Seen, now: number): Set<string> => {
    const podReady = (o: PodObservation): boolean =>
      o.alive &&
      o.pod.containers.every((c) => {
        const st = probeStates.get(`${podKey(o.pod)}/${c.name}`);
        const byProbe =
          c.probes && st
            ? probeReady(c.probes, st)
            : c.probes && (c.probes.readiness || c.probes.startup)
              ? false
              : undefined;
        if (byProbe !== undefined) return byProbe;
        return implied.ready(`${podKey(o.pod)}/${c.name}`, now);
      });
    const ready = new Set(
      seen.obs.filter((o) => !seen.silent.has(o.pod.node) && podReady(o)).map((o) => podKey(o.pod)),
    );
    // Pods on a silent node: ready as last seen while the node is Ready, not ready once NotReady.
    for (const p of seen.model.pods)
      if (seen.silent.has(p.node) && lifecycle?.condition(p.node) === 'Ready' && lastReady.has(podKey(p)))
        ready.add(podKey(p));
    return ready;
  };
  // Forget what was synced (and the proxy state in memory): after any sync in flight, so it cannot put it back.
  const forget = (statesToo: boolean) =>
    serial.run(async () => {
      synced = undefined;
      if (statesToo) states = undefined;
    });
  /**
   * Decide readiness from `seen` at this moment and, if the endpoints changed, sync every node
   * that answers. `due`: a readiness sync between iterations (the decision was due then): if a
   * heartbeat round read a stored model or proxy-stuck faults other than the loop's since, the
   * change is left to the loop (woken). No exec of its own: under load the VPC router's execs
   * queue for seconds. False when a node went silent during the sync.
   */
  const syncIfChanged = async (seen: Seen, t0: number, due?: number): Promise<boolean> => {
    const between = due !== undefined;
    const now = Date.now();
    const ready = readyOf(seen, now);
    lastReady = ready;
    impliedDecided = implied.notReady(now).join(',');
    const slices = computeEndpoints(seen.model, (p) => ready.has(podKey(p)));
    const decided = Date.now();
    const fingerprint = JSON.stringify(slices);
    if (fingerprint === synced) return true;
    const skipNodes = new Set([...seen.silent, ...seen.stuck.keys()]);
    if (between) {
      // A newer read (a heartbeat round's) of the stored model or faults than the loop's: the loop's job.
      if (stored && (stored.modelText !== lastModel || stored.stuck !== lastStuck)) {
        wait.wake();
        return true;
      }
      // Nodes whose heartbeat was missed since the iteration are not exec'd into either.
      for (const n of seen.model.nodes) if (!lifecycle?.answering(n.name)) skipNodes.add(n.name);
    }
    const changes = endpointChanges(syncedSlices, slices, seen.model);
    const syncStart = Date.now();
    let r: Awaited<ReturnType<typeof syncProxy>>;
    const live = withoutNodes(seen.model, skipNodes);
    try {
      r = await unlessNodeDies(syncProxy(seen.model, { ready, prev: states, skipNodes }), opts.lab, live.nodes);
    } catch (err) {
      // What the other nodes applied is not known here: the next sync re-reads their state.
      states = undefined;
      synced = undefined;
      if (!(err instanceof NodesSilent)) throw err;
      say(`node-lifecycle: ${err.message} during the kube-proxy sync`);
      return false;
    }
    states = r.states;
    synced = fingerprint;
    syncedSlices = slices;
    stats.syncs++;
    if (stats.syncs === 1)
      say(
        `endpoints: initial sync, ${slices.reduce((n, s) => n + s.endpoints.filter((e) => e.ready).length, 0)} ready endpoints`,
      );
    else for (const c of changes) say(`endpoints: ${c}`);
    if (stats.syncs > 1) {
      for (const c of changes)
        emit({ kind: /\s-\S+ \(/.test(c) ? 'endpoint-not-ready' : 'endpoint-ready', at: decided, detail: c });
      // Per node: when its kube-proxy had the new rules in place.
      if (changes.length)
        for (const n of r.nodes)
          emit({ kind: 'rules-synced', at: syncStart + n.ms, node: n.node, detail: changes.join('; ') });
    }
    for (const n of r.nodes)
      if (unstuck.delete(n.node))
        emit({
          kind: 'rules-synced',
          at: syncStart + n.ms,
          node: n.node,
          detail: 'kube-proxy syncing again (proxy-stuck cleared): rules brought up to date',
        });
    const how = r.nodes.map((n) => `${n.node} ${n.partial ? 'partial' : 'full'} ${n.ms}ms`).join(', ');
    say(
      `kube-proxy (${seen.model.cluster.proxy}): synced ${how} (${
        between
          ? `readiness decided between iterations, ${Date.now() - due}ms after it was due`
          : `${Date.now() - t0}ms after the observation began`
      })`,
    );
    return true;
  };
  /**
   * A change of implied readiness between iterations (a container failing for the threshold, or
   * answering again; `due`: when it came due), synced at once from the last observation. Any
   * other change (a process died, a node NotReady) is the loop's.
   */
  const readinessSync = (due = Date.now()): Promise<void> =>
    serial
      .run(async () => {
        if (!lastSeen || control.stopped || implied.notReady(Date.now()).join(',') === impliedDecided) return;
        await syncIfChanged(lastSeen, due, due);
      })
      .catch((err) => {
        say(`error: readiness sync: ${(err as Error).message.split('\n')[0]} (the loop syncs again)`);
        wait.wake();
      });
  let lastStuck = '';
  // Nodes whose kube-proxy syncs again after proxy-stuck: their next sync is a timeline event.
  const unstuck = new Set<string>();
  // The cloud LB's health checker: a node it drops or takes back is a timeline event.
  const lbHealth = new LbHealthWatch();
  // Taint-based eviction (src/lab/watch/taint-eviction.ts).
  const eviction = new TaintEviction(scale, emit, say);
  const evictionOn = opts.eviction ?? true;
  if (!opts.once) say(watchClocks(scale, evictionOn));
  let heartbeats: Heartbeats | undefined;
  const restarted = new RestartedNodeRepair(
    opts.repairDeps ?? { lock: lockLab, repair: repairNodes },
    NODE_LEASE_RENEW_INTERVAL_MS * scale,
  );
  let current: LabModel | undefined;
  // Node events from the heartbeat timers: printed as they happen, acted on by the next iteration.
  const nodeEvents: NodeEvent[] = [];
  const onNodeEvents = (events: NodeEvent[]) => {
    for (const e of events) {
      emit(e);
      say(
        `node-lifecycle: ${e.node} ${e.kind === 'heartbeat-missed' ? `heartbeat missed (${e.detail})` : e.kind === 'node-not-ready' ? `NotReady: ${e.detail}; its pods' endpoints are not ready` : 'Ready again'}`,
      );
      nodeEvents.push(e);
      if (e.kind !== 'heartbeat-missed') control.wake?.();
    }
  };
  while (!control.stopped) {
    const t0 = Date.now();
    stats.iterations++;
    try {
      // Re-read each time: `lab scale` / `lab apply` from another shell change the stored model.
      const model = await readModel(opts.lab);
      const text = JSON.stringify(model);
      const storedAt = t0;
      if (lastModel !== undefined && text !== lastModel) {
        say(
          `model changed (${model.pods.length} pods, ${model.services.length} services): re-reading proxy state from the nodes`,
        );
        // Another command synced the nodes since: what is in memory is no longer what is applied.
        await forget(true);
      }
      lastModel = text;
      current = model;
      // Heartbeats (src/lab/watch/heartbeats.ts): leases renewed and judged on their own timers,
      // whatever this iteration takes; --once observes once, here. A node whose container is
      // stopped, paused or gone does not answer; its pods keep their last readiness until the
      // node is NotReady (as endpoints do in Kubernetes).
      lifecycle ??= new NodeLifecycle(
        NODE_MONITOR_GRACE_PERIOD_MS * scale,
        Date.now(),
        model.nodes.map((n) => n.name),
      );
      const engine = new Map((await listLabContainers(opts.lab)).map((c) => [c.name, c.state]));
      // Faults the loop plays along with: a node whose link is down does not answer; a stuck kube-proxy does not sync.
      const view = await readFaultView(model).catch(() => undefined);
      const stuck = view?.stuck ?? new Map<string, string>();
      const stuckKey = [...stuck.keys()].sort().join(',');
      if (stuckKey !== lastStuck) {
        if (stuckKey) say(`kube-proxy stuck (fault) on ${stuckKey}: its rules are not synced`);
        for (const n of lastStuck.split(',')) if (n && !stuck.has(n)) unstuck.add(n);
        lastStuck = stuckKey;
        await forget(false); // a node that syncs again gets today's endpoints
      }
      if (!stored || storedAt >= stored.at) stored = { at: storedAt, modelText: text, stuck: stuckKey };
      const answered = nodeAnswers(model, engine, view);
      if (opts.once) onNodeEvents(lifecycle.observe(answered, Date.now()));
      else if (!heartbeats) {
        const lc = lifecycle;
        heartbeats = new Heartbeats({
          lifecycle: lc,
          scale,
          renew: async () => {
            const m = current!;
            const e = new Map((await listLabContainers(opts.lab)).map((c) => [c.name, c.state]));
            // The fault view, and the stored model in the same exec (what a readiness sync checks).
            const began = Date.now();
            const now = await readCurrentView(m).catch(() => undefined);
            if (now?.modelText !== undefined && (!stored || began > stored.at))
              stored = { at: began, modelText: now.modelText, stuck: [...now.view.stuck.keys()].sort().join(',') };
            return nodeAnswers(m, e, now?.view);
          },
          onEvents: onNodeEvents,
          onError: (err) => say(`node-lifecycle: heartbeat round failed: ${(err as Error).message.split('\n')[0]}`),
        });
        // The first round is this iteration's observation: no lease starts stale.
        onNodeEvents(lc.heard(answered, Date.now()));
        heartbeats.start();
        readiness.start();
      }
      for (const e of nodeEvents.splice(0)) {
        // A node that answers again has rules from before its silence: sync it whatever changed.
        if (e.kind === 'node-ready') await forget(false);
        await eviction.nodeEvent(e, model);
      }
      // A node container running again without its links: re-plumb it before anything else.
      const comeBack = opts.repair === false ? [] : restarted.due(restartedNodes(model, engine, view), Date.now());
      if (comeBack.length) {
        const names = comeBack.map((n) => n.name).join(', ');
        say(`node-repair: ${names}: container running without its links (restarted): re-plumbing`);
        const r = await serial.run(() => restarted.repair(opts.lab, model, comeBack, (l) => say(`node-repair: ${l}`)));
        if (r.error)
          say(
            `node-repair: ${names} not repaired: ${r.error} (tried again in ${(restarted.retryMs / 1000).toFixed(1)}s)`,
          );
        for (const d of r.repaired)
          emit({
            kind: 'node-repaired',
            at: Date.now(),
            node: d.node,
            detail: `container restarted: ${d.links} links re-created, node network and CNI set up, ${d.pods} pods started (${d.ms} ms)`,
          });
        if (r.repaired.length) {
          // The repair synced every node's rules and stored the model: re-read both next time.
          await forget(true);
          continue;
        }
      }
      // the next iteration reads the new model and syncs it
      if (evictionOn && (await serial.run(() => eviction.evictDue(model)))) continue;
      for (const e of await lbHealth.poll(model).catch(() => [])) {
        emit(e);
        say(`load balancer: ${e.detail}`);
      }
      // Nodes not to exec into: those whose heartbeat is missed, and those not answering right now.
      const silent = new Set(
        model.nodes
          .filter((n) => !lifecycle!.answering(n.name) || answered.get(n.name) !== undefined)
          .map((n) => n.name),
      );
      const live = withoutNodes(model, silent);
      let obs: Awaited<ReturnType<typeof observePods>>;
      const observedFrom = Date.now();
      try {
        obs = await unlessNodeDies(observePods(live, { probes: false }), opts.lab, live.nodes);
      } catch (err) {
        if (err instanceof NodesSilent) {
          say(`node-lifecycle: ${err.message} during the observation`);
          continue;
        }
        // A node frozen or stopped during the observation (the engine refuses exec with 409): its
        // heartbeat is missed from the next iteration on; no error, the loop goes on at once.
        const now = new Map((await listLabContainers(opts.lab)).map((c) => [c.name, c.state]));
        const gone = model.nodes.filter((n) => !silent.has(n.name) && now.get(n.container) !== 'running');
        if (gone.length === 0) throw err;
        say(
          `node-lifecycle: ${gone.map((n) => `${n.name} (${now.get(n.container) ?? 'missing'})`).join(', ')} stopped answering during the observation`,
        );
        continue;
      }
      // A node frozen or stopped while it was being observed answered for some pods and not
      // others: what it said this time is not its kubelet's report; its pods keep their last one.
      const observedTo = Date.now();
      const engineAfter = new Map((await listLabContainers(opts.lab)).map((c) => [c.name, c.state]));
      for (const n of model.nodes) if (engineAfter.get(n.container) !== 'running') silent.add(n.name);
      // The kubelet restarts dead containers, with CrashLoopBackOff (src/lab/watch/container-restarts.ts).
      const restartedNow = await kubelet.restartDead(model, obs, silent, probeStates);
      // The containers' own probes that are due (src/lab/watch/probe-runs.ts).
      await runDueProbes(model, obs, silent, restartedNow, probeStates, kubelet, say);
      // CNI CHECK beside the loop, on the nodes that answer (src/lab/watch/cni-check.ts).
      const round = cni.start(model, silent);
      if (opts.once) await round;
      feedImplied(obs, silent, observedFrom, observedTo);
      planDecision();
      lastSilent = silent;
      lastSeen = { model, obs, silent, stuck };
      const seen = lastSeen;
      if (!(await serial.run(() => syncIfChanged(seen, t0)))) continue;
    } catch (err) {
      if (opts.once) throw err;
      say(`error: ${(err as Error).message.split('\n')[0]} (retrying)`);
    }
    if (opts.once) break;
    await wait.sleep(opts.intervalMs - (Date.now() - t0));
  }
  await heartbeats?.stop();
  await readiness.stop();
  clearTimeout(decisionTimer);
  await serial.idle();
  await cni.settle();
  stats.restarts = kubelet.total;
  stats.heartbeatRounds = heartbeats?.rounds ?? 0;
  stats.longestHeartbeatMs = heartbeats?.longestRoundMs ?? 0;
  stats.cniChecks = cni.rounds;
  stats.cniFailures = cni.failures;
  return stats;
}
