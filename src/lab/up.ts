/** Brings a lab up from its model: containers, links, node/VPC/pod plumbing. All or nothing. */
import { LabModel } from '../model/types';
import { createAndStart, listLabContainers, runToCompletion } from '../runtime/containers';
import { execScriptOk } from '../runtime/exec';
import { fabricHelperSpec, nodeSpec, vpcSpec } from '../plan/containers';
import { renderLinkScript } from '../plan/fabric';
import { renderNodeBase } from '../plan/node';
import { isContainerPod, parseCniResults, renderPodsOnNode } from '../plan/pod';
import { recordCniResults, renderCniInstall, withPods } from './cni';
import { renderVpc } from '../plan/vpc';
import { script } from '../plan/shell';
import { saveModel } from './state';
import { downLab } from './down';
import { LabError } from '../errors';
import { syncProxy } from './proxy';
import { prepareDnsPods } from './dns';
import { startContainerPods } from './container-pods';
import { syncIngress } from './ingress';
import { edgeSpecs } from '../edge/containers';
import { setupEdge } from './edge';

export type Progress = (msg: string) => void;

export async function buildLab(planned: LabModel, image: string, progress: Progress): Promise<void> {
  let model = planned;
  const t0 = Date.now();
  const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const specs = [vpcSpec(model, image), ...model.nodes.map((n) => nodeSpec(model, n, image)), ...edgeSpecs(model, image)];
  const started = await Promise.all(specs.map((s) => createAndStart(s)));
  const pids: Record<string, number> = {};
  specs.forEach((s, i) => (pids[s.name] = started[i].pid));
  progress(`containers: ${specs.length} started (${since()})`);

  const helper = await runToCompletion(fabricHelperSpec(model, image, renderLinkScript(model.links, pids)));
  if (helper.exitCode !== 0) throw new LabError(`creating links failed: ${helper.output.trim()}`);
  progress(`links: ${model.links.length} veth pairs (${since()})`);

  await Promise.all([
    execScriptOk(model.vpc.container, script(renderVpc(model)), 'vpc router setup'),
    ...model.nodes.map((n) => execScriptOk(n.container, script([...renderNodeBase(model, n), ...renderCniInstall(model, n)]), `node ${n.name} setup`)),
  ]);
  progress(`network: vpc router and ${model.nodes.length} nodes configured (${since()})`);
  if (model.edge) {
    await setupEdge(model);
    progress(`edge: internet gateway, internet host ${model.edge.internet.ip}, load balancer configured (${since()})`);
  }

  await prepareDnsPods(model, model.pods);
  const outs = await Promise.all(
    model.nodes.map((n) => execScriptOk(n.container, script(renderPodsOnNode(model, n)), `pods on ${n.name}`)),
  );
  const processPods = recordCniResults(model.pods.filter((p) => !isContainerPod(p)), outs.flatMap((o) => parseCniResults(o.stdout)));
  const containerPods = await startContainerPods(model, model.pods, image);
  // From here on the model holds what each pod's CNI ADD returned (the host veth the plugin named).
  model = withPods(model, [...processPods, ...containerPods]);
  progress(`pods: ${model.pods.length} running and ready (${since()})`);

  // Every pod just passed its readiness check, so all are endpoints of the first sync.
  const sync = await syncProxy(model, { ready: new Set(model.pods.map((p) => `${p.namespace}/${p.name}`)), full: true });
  const eps = sync.endpoints.reduce((n, s) => n + s.endpoints.length, 0);
  progress(`kube-proxy (${model.cluster.proxy}): ${model.services.length} services, ${eps} endpoints on ${sync.nodes.length} nodes (${since()})`);
  // The L7 ingress (the guide's ALB): nginx in the ingress container, routing to the NodePorts just synced.
  await syncIngress(model, { image, log: (m) => progress(`${m} (${since()})`) });
  await saveModel({ ...model, image });
}

/**
 * Runs buildLab and guarantees nothing is left half-built: on failure or Ctrl-C everything
 * carrying the lab's label is removed.
 */
export async function upLab(model: LabModel, image: string, progress: Progress): Promise<void> {
  const existing = await listLabContainers(model.name);
  if (existing.length > 0) throw new LabError(`lab ${model.name} already has ${existing.length} containers`);
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    progress('interrupted: removing what was created');
    void downLab(model.name).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await buildLab(model, image, progress);
  } catch (err) {
    if (!interrupted) {
      progress('failed: removing what was created');
      await downLab(model.name);
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
