/**
 * The kubelet's part on a running lab: start and delete pods, observe their processes and
 * readiness, restart containers that died. One exec per node, nodes in parallel.
 */
import { LabModel, PodContainer, PodModel } from '../model/types';
import type { ProbeKind } from '../model/probe';
import { parseProbeRuns, ProbeRun, renderContainerKill, renderProbe, renderReadyOnce } from '../plan/probe';
import { exec, execScriptOk, podSetupTimeoutMs } from '../runtime/exec';
import { q, script } from '../plan/shell';
import {
  ContainerObservation,
  parseCniChecks,
  parseCniResults,
  parseObservePods,
  renderCniCheck,
  renderContainerStart,
  renderObservePods,
  renderPodDelete,
  renderPodsOnNode,
} from '../plan/pod';
import {
  deleteContainerPods,
  isContainerPod,
  observeContainerPods,
  restartContainerPod,
  startContainerPods,
} from './container-pods';
import { prepareDnsPods } from './dns';
import { recordCniResults, withPods } from './cni';
import { parseObservedAt, renderObservedAt } from '../plan/observed-at';
import { readModel, saveModel } from './state';

function byNode(model: LabModel, pods: PodModel[]) {
  return model.nodes
    .map((n) => ({ node: n, pods: pods.filter((p) => p.node === n.name) }))
    .filter((x) => x.pods.length > 0);
}

/** Starts pods; returns them with what their CNI ADD recorded (the host veth the plugin named). */
export async function startPods(model: LabModel, pods: PodModel[]): Promise<PodModel[]> {
  // A DNS pod needs its configs and zones before its servers start.
  await prepareDnsPods(model, pods);
  const containerPods = await startContainerPods(model, pods);
  const outs = await Promise.all(
    byNode(model, pods).map(({ node, pods: ps }) =>
      execScriptOk(node.container, script(renderPodsOnNode(model, node, ps)), `start pods on ${node.name}`, {
        timeoutMs: podSetupTimeoutMs(ps.length),
      }),
    ),
  );
  const processPods = recordCniResults(
    pods.filter((p) => !isContainerPod(p)),
    outs.flatMap((o) => parseCniResults(o.stdout)),
  );
  const started = new Map([...containerPods, ...processPods].map((p) => [`${p.namespace}/${p.name}`, p]));
  return pods.map((p) => started.get(`${p.namespace}/${p.name}`) ?? p);
}

export async function deletePods(model: LabModel, pods: PodModel[]): Promise<void> {
  await deleteContainerPods(model, pods);
  await Promise.all(
    byNode(model, pods).map(({ node, pods: ps }) =>
      execScriptOk(node.container, script(ps.flatMap((p) => renderPodDelete(model, p))), `delete pods on ${node.name}`),
    ),
  );
}

export interface PodObservation {
  pod: PodModel;
  /** Every container's process is running. */
  alive: boolean;
  /** Every serving container answers /healthz with 200. */
  ready: boolean;
  containers: ContainerObservation[];
  /** When its node had probed it (the node's clock, src/plan/observed-at.ts); undefined for container pods. */
  at?: number;
}

/**
 * Every pod's processes and readiness. With `probes` (the default) readiness/startup probes run
 * once (src/plan/probe.ts renderReadyOnce); `lab watch` passes false and runs its own prober.
 */
export async function observePods(model: LabModel, opts: { probes?: boolean } = {}): Promise<PodObservation[]> {
  const seen = await Promise.all(
    byNode(model, model.pods).map(async ({ node, pods }) => {
      const r = await exec(node.container, [
        'sh',
        '-c',
        [...renderObservePods(pods, opts), renderObservedAt()].join('\n'),
      ]);
      const at = parseObservedAt(r.stdout);
      return parseObservePods(r.stdout).map((c) => ({ ...c, at }));
    }),
  );
  const probedContainerPods =
    opts.probes === false ? new Map<PodModel, boolean>() : await readyOnceContainerPods(model);
  const all = seen.flat();
  const engine = new Map((await observeContainerPods(model)).map((o) => [o.pod, o]));
  return model.pods.map((pod) => {
    const cp = engine.get(pod);
    if (cp) {
      // Container pods: the engine's state is the container's; ready is the probe's answer where there is one (CoreDNS /ready).
      const name = pod.containers[0].name;
      const ready = cp.running && (cp.ready ?? true) && probedContainerPods.get(pod) !== false;
      return {
        pod,
        alive: cp.running,
        ready,
        containers: [{ netns: pod.netns, container: name, alive: cp.running, ready }],
      };
    }
    const seen = all.filter((c) => c.netns === pod.netns && pod.containers.some((x) => x.name === c.container));
    const complete = seen.length === pod.containers.length;
    const cs = seen.map(({ at: _at, ...c }) => c);
    return {
      pod,
      at: seen[0]?.at,
      containers: cs,
      alive: complete && cs.every((c) => c.alive),
      ready: complete && cs.every((c) => c.alive && c.ready !== false),
    };
  });
}

/**
 * CNI CHECK of every pod's network, nodes in parallel: the pod -> the plugin's error, or
 * undefined when the check passed. A pod whose node printed nothing for it counts as failed.
 */
export async function checkPodNetworks(model: LabModel): Promise<Map<PodModel, string | undefined>> {
  const out = new Map<PodModel, string | undefined>();
  await Promise.all(
    byNode(model, model.pods).map(async ({ node, pods }) => {
      const r = await exec(node.container, ['sh', '-c', renderCniCheck(model, pods).join('\n')]);
      const seen = new Map(parseCniChecks(r.stdout).map((c) => [c.netns, c]));
      for (const p of pods) {
        const c = seen.get(p.netns);
        out.set(
          p,
          c ? c.error : `no CHECK answer from ${node.name}${r.stderr ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`,
        );
      }
    }),
  );
  return out;
}

/** Restarts the containers of a pod whose processes died (restartPolicy: Always). */
export async function restartContainers(model: LabModel, obs: PodObservation): Promise<string[]> {
  const dead = obs.pod.containers.filter((c) => !obs.containers.find((o) => o.container === c.name)?.alive);
  if (dead.length === 0) return [];
  if (isContainerPod(obs.pod)) {
    const plumbed = await restartContainerPod(model, obs.pod);
    // The new sandbox's link has a new host veth (named by the plugin): the stored model records it,
    // in the model as stored now, not the caller's copy: a node repair (lab up) may have saved its
    // pods' new veths since that copy was read (seen: node2's 4 pods then looked unplumbed).
    if (plumbed.hostVeth !== obs.pod.hostVeth) await saveModel(withPods(await readModel(model.name), [plumbed]));
    return obs.pod.containers.map((c) => c.name);
  }
  const node = model.nodes.find((n) => n.name === obs.pod.node)!;
  await execScriptOk(
    node.container,
    script(dead.flatMap((c) => renderContainerStart(obs.pod, c))),
    `restart ${obs.pod.name}`,
  );
  return dead.map((c) => c.name);
}

/** Container pods with a readiness/startup probe: run it once from their node (as for netexec pods). */
async function readyOnceContainerPods(model: LabModel): Promise<Map<PodModel, boolean>> {
  const out = new Map<PodModel, boolean>();
  const pods = model.pods.filter((p) => isContainerPod(p) && renderReadyOnce(p, p.containers[0]));
  await Promise.all(
    byNode(model, pods).map(async ({ node, pods: ps }) => {
      const r = await exec(node.container, [
        'sh',
        '-c',
        ps.map((p) => `${renderReadyOnce(p, p.containers[0])}; echo READY ${q(p.netns)} $r`).join('\n'),
      ]);
      for (const p of ps) out.set(p, new RegExp(`^READY ${p.netns} 1$`, 'm').test(r.stdout));
    }),
  );
  return out;
}

/** Runs the given probes, one exec per node, and returns what each observed. */
export async function runProbes(
  model: LabModel,
  due: Array<{ pod: PodModel; container: PodContainer; kind: ProbeKind }>,
): Promise<Array<ProbeRun & { pod: PodModel }>> {
  const pods = [...new Set(due.map((d) => d.pod))];
  const runs = await Promise.all(
    byNode(model, pods).map(async ({ node, pods: ps }) => {
      const lines = due
        .filter((d) => ps.includes(d.pod))
        .map((d) => renderProbe(d.pod, d.container, d.kind, d.container.probes![d.kind]!));
      const r = await exec(node.container, ['sh', '-c', lines.join('\n')]);
      return parseProbeRuns(r.stdout).flatMap((run) => {
        const pod = ps.find((p) => p.netns === run.netns);
        return pod ? [{ ...run, pod }] : [];
      });
    }),
  );
  return runs.flat();
}

/** Restarts one running container (a liveness or startup probe gave up): stop it, start it again. */
export async function restartContainer(model: LabModel, pod: PodModel, c: PodContainer): Promise<void> {
  if (isContainerPod(pod)) {
    await restartContainerPod(model, pod);
    return;
  }
  const node = model.nodes.find((n) => n.name === pod.node)!;
  await execScriptOk(
    node.container,
    script([renderContainerKill(pod, c), ...renderContainerStart(pod, c)]),
    `restart ${pod.name}/${c.name}`,
  );
}
