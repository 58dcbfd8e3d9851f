/**
 * Container pods on a running lab (see src/plan/container-pod.ts): create the Docker container,
 * hand its network namespace to the node, plumb it like any pod; observe, restart and delete them.
 * `lab exec node1/<pod> -- cmd` runs the node's tools in the pod's network namespace (ip netns
 * exec), as `kubectl debug` would with a debug container: the pod's image may have no shell.
 */
import { LabModel, PodModel } from '../model/types';
import { ExecError, LabError } from '../errors';
import {
  containerPid,
  createAndStart,
  containerLogs,
  listLabContainers,
  removeContainers,
  runToCompletion,
  setContainerRun,
} from '../runtime/containers';
import { exec, execScript, execScriptOk } from '../runtime/exec';
import { isCoreDnsPod, parseCoreDnsObserve, renderCoreDnsObserve, renderCoreDnsWaitReady } from '../plan/coredns-pod';
import { removeCoreDnsFiles } from './dns';
import { fabricHelperSpec } from '../plan/containers';
import { isContainerPod, parseCniResults } from '../plan/pod';
import { recordCniResults } from './cni';
import {
  containerPodName,
  containerPodSpec,
  renderAttachNetns,
  renderContainerPodDetach,
  renderContainerPodNetwork,
} from '../plan/container-pod';
import { script } from '../plan/shell';
import { renderNeighFlush } from '../plan/neigh';

export { isContainerPod };

function nodeOf(model: LabModel, pod: PodModel) {
  const node = model.nodes.find((n) => n.name === pod.node);
  if (!node) throw new LabError(`pod ${pod.namespace}/${pod.name} is on unknown node ${pod.node}`);
  return node;
}

function helperImage(model: LabModel, image?: string): string {
  const img = image ?? model.image;
  if (!img) throw new LabError('the lab model has no image: cannot run the fabric helper');
  return img;
}

/**
 * Attaches the running containers' namespaces to their nodes (one helper run, or one exec in a
 * running attach helper: src/plan/containers.ts standbyHelperSpec) and plumbs them; returns them as
 * their CNI ADD recorded them. With `awaitReady`, each node's plumbing script then waits for its
 * CoreDNS pods to serve every zone (one exec per node for both).
 */
async function attachAndPlumb(
  model: LabModel,
  pods: PodModel[],
  pids: Map<string, number>,
  image: string,
  opts: { attachHelper?: string; awaitReady?: boolean } = {},
): Promise<PodModel[]> {
  const attachHelper = opts.attachHelper;
  const nodeNames = [...new Set(pods.map((p) => p.node))];
  const nodePids = new Map<string, number>(
    await Promise.all(
      nodeNames.map(
        async (n) => [n, await containerPid(nodeOf(model, pods.find((p) => p.node === n)!).container)] as const,
      ),
    ),
  );
  const text = pods
    .map((p) => renderAttachNetns(p, pids.get(containerPodName(model, p))!, nodePids.get(p.node)!))
    .join('');
  const helper = attachHelper
    ? await execScript(attachHelper, text).then((r) => ({ exitCode: r.exitCode, output: r.stdout + r.stderr }))
    : await runToCompletion(fabricHelperSpec(model, image, text, 'attach'));
  if (helper.exitCode !== 0)
    throw new LabError(`attaching container pods to their nodes failed: ${helper.output.trim()}`);
  const byNode = new Map<string, PodModel[]>();
  for (const p of pods) byNode.set(p.node, [...(byNode.get(p.node) ?? []), p]);
  const outs = await Promise.all(
    [...byNode].map(async ([n, ps]) => {
      const node = nodeOf(model, ps[0]);
      const ready = opts.awaitReady ? ps.filter(isCoreDnsPod) : [];
      const r = await execScript(
        node.container,
        script([
          ...ps.flatMap((p) => renderContainerPodNetwork(model, node, p)),
          ...ready.flatMap((p) => renderCoreDnsWaitReady(model, p)),
        ]),
      );
      if (!r.failed) return r;
      // Every pod plumbed (its CNI result printed): what failed is a CoreDNS pod's readiness wait.
      const plumbed = new Set(parseCniResults(r.stdout).map((c) => c.netns));
      if (ready.length && ps.every((p) => plumbed.has(p.netns)))
        throw new LabError(
          `${r.stderr.trim() || `pods ${ready.map((p) => p.name).join(', ')}: CoreDNS not ready`}\n${(
            await Promise.all(
              ready.map(
                async (p) => `${containerPodName(model, p)} logs:\n${await logTail(containerPodName(model, p))}`,
              ),
            )
          ).join('\n')}`,
        );
      throw new ExecError({
        container: node.container,
        command: `container pods on ${n}`,
        exitStatus: r.exitCode,
        stdout: r.stdout,
        stderr: r.stderr,
      });
    }),
  );
  return recordCniResults(
    pods,
    outs.flatMap((o) => parseCniResults(o.stdout)),
  );
}

/** Creates, starts and plumbs container pods (any stale container of the same name is replaced); returns them as CNI ADD recorded them. */
export async function startContainerPods(model: LabModel, pods: PodModel[], image?: string): Promise<PodModel[]> {
  const cps = pods.filter(isContainerPod);
  if (!cps.length) return [];
  return plumbContainerPods(model, cps, await createContainerPods(model, cps), image);
}

/**
 * The first half of startContainerPods: creates and starts the container pods (network mode none;
 * a stale container of the same name is replaced unless `fresh`, lab up of a new lab, where none
 * can exist); returns their PIDs by container name.
 */
export async function createContainerPods(
  model: LabModel,
  pods: PodModel[],
  opts: { fresh?: boolean } = {},
): Promise<Map<string, number>> {
  const cps = pods.filter(isContainerPod);
  const pids = new Map<string, number>();
  if (!cps.length) return pids;
  const names = new Set(cps.map((p) => containerPodName(model, p)));
  if (!opts.fresh) {
    const stale = (await listLabContainers(model.name)).filter((c) => names.has(c.name));
    await removeContainers(stale.map((c) => c.id));
  }
  await Promise.all(
    cps.map(async (p) => {
      const { pid } = await createAndStart(containerPodSpec(model, p));
      pids.set(containerPodName(model, p), pid);
    }),
  );
  return pids;
}

/**
 * The second half: hands the running container pods' namespaces to their nodes, runs their CNI ADD
 * and waits for CoreDNS pods to serve; returns them as CNI ADD recorded them. `attachHelper` names
 * a running attach helper (lab up's standby one) to exec the attach in, instead of a helper run.
 */
export async function plumbContainerPods(
  model: LabModel,
  pods: PodModel[],
  pids: Map<string, number>,
  image?: string,
  opts: { attachHelper?: string } = {},
): Promise<PodModel[]> {
  const cps = pods.filter(isContainerPod);
  if (!cps.length) return [];
  return attachAndPlumb(model, cps, pids, helperImage(model, image), {
    attachHelper: opts.attachHelper,
    awaitReady: true,
  });
}

async function logTail(name: string, lines = 10): Promise<string> {
  try {
    return (await containerLogs(name, lines)).trim();
  } catch (e) {
    return `(no logs: ${(e as Error).message})`;
  }
}

export interface ContainerPodState {
  pod: PodModel;
  running: boolean;
  /** Engine state (running, exited, ...) or `missing`. */
  state: string;
  /** Readiness, for pods that have a probe (CoreDNS: every zone's SOA answered, asked from the node); else undefined. */
  ready?: boolean;
}

/** CoreDNS pods' readiness, one exec per node holding running ones. */
async function coreDnsReadiness(model: LabModel, pods: PodModel[]): Promise<Map<PodModel, boolean>> {
  const out = new Map<PodModel, boolean>();
  const byNode = new Map<string, PodModel[]>();
  for (const p of pods) byNode.set(p.node, [...(byNode.get(p.node) ?? []), p]);
  await Promise.all(
    [...byNode].map(async ([, ps]) => {
      let seen = new Map<string, boolean>();
      try {
        seen = parseCoreDnsObserve(
          (await exec(nodeOf(model, ps[0]).container, ['sh', '-c', renderCoreDnsObserve(model, ps)])).stdout,
        );
      } catch {
        // A node that does not answer has no ready pods.
      }
      for (const p of ps) out.set(p, seen.get(p.netns) === true);
    }),
  );
  return out;
}

export async function observeContainerPods(model: LabModel): Promise<ContainerPodState[]> {
  const cps = model.pods.filter(isContainerPod);
  if (!cps.length) return [];
  const listed = new Map((await listLabContainers(model.name)).map((c) => [c.name, c.state]));
  const states = cps.map((pod) => {
    const state = listed.get(containerPodName(model, pod)) ?? 'missing';
    return { pod, running: state === 'running', state };
  });
  const probed = await coreDnsReadiness(
    model,
    states.filter((s) => s.running && isCoreDnsPod(s.pod)).map((s) => s.pod),
  );
  return states.map((s) => (isCoreDnsPod(s.pod) ? { ...s, ready: probed.get(s.pod) ?? false } : s));
}

/**
 * restartPolicy Always: the container starts again in a new network namespace, plumbed afresh
 * (CNI DEL of the old sandbox, ADD of the new); returns the pod as the new ADD recorded it.
 */
export async function restartContainerPod(model: LabModel, pod: PodModel, image?: string): Promise<PodModel> {
  const node = nodeOf(model, pod);
  await execScriptOk(node.container, script(renderContainerPodDetach(model, pod)), `detach ${pod.name}`);
  const name = containerPodName(model, pod);
  let pid: number;
  try {
    await setContainerRun(name, 'start');
    pid = await containerPid(name);
  } catch {
    await removeContainers([name]);
    pid = (await createAndStart(containerPodSpec(model, pod))).pid;
  }
  const [plumbed] = await attachAndPlumb(model, [pod], new Map([[name, pid]]), helperImage(model, image));
  // The new eth0 has a new MAC: neighbours on the node still holding the old one would swallow traffic.
  await execScriptOk(node.container, renderNeighFlush([pod.ip]), `flush neighbours of ${pod.name}`);
  return plumbed;
}

export async function deleteContainerPods(model: LabModel, pods: PodModel[]): Promise<void> {
  const cps = pods.filter(isContainerPod);
  if (!cps.length) return;
  await removeContainers(cps.map((p) => containerPodName(model, p)));
  removeCoreDnsFiles(model, cps);
  const byNode = new Map<string, PodModel[]>();
  for (const p of cps) byNode.set(p.node, [...(byNode.get(p.node) ?? []), p]);
  await Promise.all(
    [...byNode].map(([n, ps]) =>
      execScriptOk(
        nodeOf(model, ps[0]).container,
        script(ps.flatMap((p) => renderContainerPodDetach(model, p))),
        `delete container pods on ${n}`,
      ),
    ),
  );
}
