/** Brings a lab up from its model: containers, links, node/VPC/pod plumbing. All or nothing. */
import { LabModel, PodModel } from '../model/types';
import { createAndStart, listLabContainers, removeContainers, stopCreating } from '../runtime/containers';
import { execScript, execScriptOk, podSetupTimeoutMs } from '../runtime/exec';
import { nodeSpec, standbyHelperSpec, vpcSpec } from '../plan/containers';
import { renderLinkScript } from '../plan/fabric';
import { renderNodeBase } from '../plan/node';
import { isContainerPod, parseCniResults, podsOnNodeNeedDnsFiles, renderPodsOnNode } from '../plan/pod';
import { recordCniResults, renderCniInstall, withPods } from './cni';
import { renderVpc } from '../plan/vpc';
import { script } from '../plan/shell';
import { saveModel } from './state';
import { downLab } from './down';
import { LabError } from '../errors';
import { podKey, readyPods, syncProxy } from './proxy';
import { syncNetworkPolicies } from './netpol';
import { prepareDnsPods } from './dns';
import { createContainerPods, plumbContainerPods } from './container-pods';
import { syncIngress } from './ingress';
import { edgeSpecs } from '../edge/containers';
import { attachmentLink, configureAttachment, setupEdge } from './edge';
import { ingressSpec } from '../plan/ingress';
import { LB_FRESH_ROUND_SEC, renderLbFreshRound } from '../edge/lb';
import { Timings } from './timings';
import { neighbourTableWarning, readNeighbourTable } from './neighbour-table';

export type Progress = (msg: string) => void;

/**
 * Awaits every task, then throws the first failure: a failed branch must not start the clean-up
 * while another still creates containers the clean-up's listing would miss.
 */
async function allOrFirstError(tasks: Array<Promise<unknown>>): Promise<void> {
  const done = await Promise.allSettled(tasks);
  const failed = done.find((d): d is PromiseRejectedResult => d.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * The build, as a graph of what depends on what: containers, then links, then node setup; then
 * two branches side by side, as on a real cluster where nothing orders them: the edge (gateway,
 * load balancer, masquerade, then the ingress controller, whose NodePort upstreams need no pod)
 * and the pods (NetworkPolicies first, then DNS files, then process and container pods at once);
 * then readiness, kube-proxy's sync (needs the ready pods and the edge) and the model.
 */
export async function buildLab(
  planned: LabModel,
  image: string,
  progress: Progress,
  origin: Record<string, string> = {},
  timings = new Timings(),
): Promise<void> {
  let model = planned;
  const t0 = Date.now();
  const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const vpc = vpcSpec(model, image);
  // The ingress controller's container (when the lab serves Ingresses) is created and linked with
  // the others; syncIngress then finds it attached and only starts nginx.
  const ingress = model.edge && (model.ingresses ?? []).length ? model.edge.ingress : undefined;
  const specs = [
    { ...vpc, labels: { ...vpc.labels, ...origin } },
    ...model.nodes.map((n) => nodeSpec(model, n, image)),
    ...edgeSpecs(model, image),
    ...(ingress ? [ingressSpec(model, image)] : []),
  ];
  // The helpers wait for their job, which then costs an exec instead of a container start on the
  // way (standbyHelperSpec): the links helper starts with the others, the one attaching container
  // pods with those pods, beside the links and the node setup (every container more in the first
  // wave makes the wave longer).
  const linksHelper = standbyHelperSpec(model, image, 'links');
  const attachHelper = model.pods.some(isContainerPod) ? standbyHelperSpec(model, image, 'attach') : undefined;
  const started = await Promise.all([...specs, linksHelper].map((s) => createAndStart(s)));
  const pids: Record<string, number> = {};
  specs.forEach((s, i) => (pids[s.name] = started[i].pid));
  progress(`containers: ${specs.length} started, and the links helper (${since()})`);
  timings.mark('containers', `${specs.length} created and started, and the links helper`);

  // The DNS pods' files need only the nodes' file systems: written beside the links and the node
  // setup. Only the DNS pods (CoreDNS containers, offline DNS process pods) wait for them.
  const dnsFiles = timings.span('dns', () => prepareDnsPods(model, model.pods));
  // Container pods (CoreDNS) are started once their files are there, beside the links and the node
  // setup too; their network (attach, CNI ADD) waits for the node setup and the NetworkPolicies,
  // like every pod's (the gate opens in the pods branch).
  let openPodNetwork = () => undefined as void;
  const podNetwork = new Promise<void>((resolve) => (openPodNetwork = resolve));
  const containerPodsStarted = dnsFiles.then(async () => {
    // Both settle before a failure is thrown: the clean-up must not miss a container in creation.
    const [cps, helper] = await Promise.allSettled([
      createContainerPods(model, model.pods, { fresh: true }),
      // Called in an async function: createAndStart throws at once after an interrupt, which here
      // must become a rejection, or the other creation's would go unhandled.
      (async () => (attachHelper ? createAndStart(attachHelper) : undefined))(),
    ]);
    if (helper.status === 'rejected') throw helper.reason;
    if (cps.status === 'rejected') throw cps.reason;
    return cps.value;
  });
  const containerPodsDone = timings.span('container pods', async () => {
    const cpPids = await containerPodsStarted;
    await podNetwork;
    try {
      return await plumbContainerPods(model, model.pods, cpPids, image, { attachHelper: attachHelper?.name });
    } finally {
      if (attachHelper) await removeContainers([attachHelper.name]);
    }
  });
  // Awaited by the pods branch; a failure before it must not go unhandled.
  for (const p of [dnsFiles, containerPodsStarted, containerPodsDone]) p.catch(() => undefined);

  let linksHelperGone: Promise<unknown> = Promise.resolve();
  try {
    // Spans, not marks, from here: the DNS files are written beside them.
    const links = [...model.links, ...(ingress ? [attachmentLink(model, ingress)] : [])];
    await timings.span(
      'links',
      async () => {
        const linked = await execScript(linksHelper.name, renderLinkScript(links, pids));
        if (linked.failed) throw new LabError(`creating links failed: ${(linked.stdout + linked.stderr).trim()}`);
      },
      () => `${links.length} veth pairs`,
    );
    // Done with it: removed beside what follows, and awaited before the lab counts as up.
    linksHelperGone = removeContainers([linksHelper.name]);
    linksHelperGone.catch(() => undefined); // awaited below; a failure before then must not go unhandled
    progress(`links: ${links.length} veth pairs (${since()})`);

    await timings.span(
      'node setup',
      () =>
        Promise.all([
          execScriptOk(model.vpc.container, script(renderVpc(model)), 'vpc router setup'),
          ...model.nodes.map((n) =>
            execScriptOk(
              n.container,
              script([...renderNodeBase(model, n), ...renderCniInstall(model, n)]),
              `node ${n.name} setup`,
            ),
          ),
        ]),
      () => `vpc router and ${model.nodes.length} nodes`,
    );
  } catch (err) {
    // The clean-up lists the lab's containers: none may still be in creation.
    await containerPodsStarted.catch(() => undefined);
    throw err;
  }
  progress(`network: vpc router and ${model.nodes.length} nodes configured (${since()})`);

  const edge = async () => {
    const e = model.edge;
    if (!e) return;
    const gateway = timings.span('edge', async () => {
      await setupEdge(model);
      progress(`edge: internet gateway, internet host ${e.internet.ip}, load balancer configured (${since()})`);
    });
    // The L7 ingress (the guide's ALB): its link's two ends (on the VPC router, its own interface),
    // then nginx, routing to NodePorts; an endpoints-mode Ingress starts with every pod counted
    // ready and follows kube-proxy's sync. Nothing here waits for the gateway's setup.
    const l7 = ingress
      ? timings.span('ingress', async () => {
          await configureAttachment(model, ingress, [e.ingressIP]);
          await syncIngress(model, { image, log: (m) => progress(`${m} (${since()})`) });
        })
      : Promise.resolve();
    await allOrFirstError([gateway, l7]);
  };
  let pods: PodModel[] = [];
  const podsBranch = async () => {
    // NetworkPolicies before the pods start: a pod a policy isolates is never open.
    const policies = await timings.span('network policies', () => syncNetworkPolicies(model));
    openPodNetwork();
    if (policies.length)
      progress(
        `network policies: ${model.networkPolicies?.length ?? 0} policies, ${policies.reduce((n, s) => n + s.rules, 0)} rules on ${policies.length} nodes (${since()})`,
      );
    pods = await timings.span(
      'pods',
      async () => {
        // Both settle before a failure is thrown: the clean-up must not miss a container pod in creation.
        const processOuts = timings.span('process pods', () =>
          Promise.all(
            model.nodes.map(async (n) => {
              if (podsOnNodeNeedDnsFiles(model, n)) await dnsFiles;
              return execScriptOk(n.container, script(renderPodsOnNode(model, n)), `pods on ${n.name}`, {
                timeoutMs: podSetupTimeoutMs(model.pods.length),
              });
            }),
          ),
        );
        await allOrFirstError([processOuts, containerPodsDone]);
        const [outs, containerPods] = [await processOuts, await containerPodsDone];
        const processPods = recordCniResults(
          model.pods.filter((p) => !isContainerPod(p)),
          outs.flatMap((o) => parseCniResults(o.stdout)),
        );
        return [...processPods, ...containerPods];
      },
      () => `${model.pods.length} pods on ${model.nodes.length} nodes`,
    );
    progress(`pods: ${model.pods.length} running and ready (${since()})`);
  };
  // The container pods' creation too: it runs beside everything since the DNS files.
  await allOrFirstError([edge(), podsBranch(), linksHelperGone, containerPodsStarted]);
  // From here on the model holds what each pod's CNI ADD returned (the host veth the plugin named).
  model = withPods(model, pods);

  // Every pod just passed the lab's start-up check; pods with a readiness (or startup) probe must
  // also pass it, as the kubelet reports a pod ready only then (src/plan/probe.ts).
  const probed = model.pods.some((p) => p.containers.some((c) => c.probes?.readiness || c.probes?.startup));
  const ready = probed ? await readyPods(model) : new Set(model.pods.map((p) => podKey(p)));
  if (probed) {
    const notReady = model.pods.filter((p) => !ready.has(podKey(p))).map((p) => podKey(p));
    if (notReady.length)
      progress(`pods not ready (readiness probe failing), kept out of the endpoints: ${notReady.join(', ')}`);
  }
  if (probed) timings.mark('readiness probes');
  // prepareDnsPods rendered the zones with every pod ready: when every pod is, DNS already serves
  // these endpoints and a sync would only raise the serial.
  const allReady = model.pods.every((p) => ready.has(podKey(p)));
  const sync = await syncProxy(model, { ready, full: true, dnsCurrent: allReady });
  const eps = sync.endpoints.reduce((n, s) => n + s.endpoints.length, 0);
  progress(
    `kube-proxy (${model.cluster.proxy}): ${model.services.length} services, ${eps} endpoints on ${sync.nodes.length} nodes (${since()})`,
  );
  timings.mark('proxy sync', `${model.services.length} services, ${eps} endpoints, ${sync.nodes.length} nodes`);
  if (model.edge) {
    // The LB's view of the nodes from a health round begun now that their health servers run
    // (src/edge/lb.ts renderLbFreshRound): `up` returns with the LB routing to every healthy node.
    const round = await execScriptOk(
      model.edge.lb.container,
      script(renderLbFreshRound()),
      'load balancer health round',
    );
    if (round.stdout.trim() !== 'fresh')
      progress(
        `load balancer: no health round after the proxy sync within ${LB_FRESH_ROUND_SEC} s; its view of the nodes may lag (${since()})`,
      );
    timings.mark('load balancer health');
  }
  await saveModel({ ...model, image });
  timings.mark('model store');
}

export interface UpOptions {
  /** Labels recording who started the lab from which file (src/lab/origin.ts), on the VPC. */
  origin?: Record<string, string>;
  /** Runs first, under the same interrupt guard (the kernel preflight's helper carries the lab label). */
  before?: () => Promise<void>;
  /** Where each phase's time is recorded (lab up --timings). */
  timings?: Timings;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Removes everything of the lab after an interrupt: first no new container may be created and
 * the creations in flight settle (a helper created just after the listing would be missed),
 * then every container carrying the lab label goes, listed again until none is left.
 */
export async function cleanUpInterrupted(lab: string): Promise<void> {
  await stopCreating(`lab up of ${lab} was interrupted`);
  for (let i = 0; i < 5; i++) if ((await downLab(lab)) === 0) break;
}

/**
 * Runs buildLab and guarantees nothing is left half-built: on failure or Ctrl-C everything
 * carrying the lab's label is removed.
 */
export async function upLab(model: LabModel, image: string, progress: Progress, opts: UpOptions = {}): Promise<void> {
  const existing = await listLabContainers(model.name);
  if (existing.length > 0) throw new LabError(`lab ${model.name} already has ${existing.length} containers`);
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return; // the clean-up is running; it exits when done
    interrupted = true;
    progress(`${sig}: removing what was created`);
    void cleanUpInterrupted(model.name)
      .catch((e) =>
        progress(`clean-up failed: ${(e as Error).message}; remove the rest with: lab down --name ${model.name}`),
      )
      .finally(() => process.exit(sig === 'SIGINT' ? 130 : sig === 'SIGHUP' ? 129 : 143));
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  try {
    if (opts.before) await opts.before();
    const arp = readNeighbourTable();
    const arpWarning = arp && neighbourTableWarning(model, arp);
    if (arpWarning) progress(arpWarning);
    opts.timings?.mark('preflight');
    await buildLab(model, image, progress, opts.origin, opts.timings);
  } catch (err) {
    if (interrupted) await new Promise(() => undefined); // the signal handler finishes and exits
    progress('failed: removing what was created');
    await downLab(model.name);
    throw err;
  } finally {
    if (!interrupted) for (const s of SIGNALS) process.removeListener(s, onSignal);
  }
}
