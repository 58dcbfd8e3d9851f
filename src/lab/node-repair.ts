/**
 * Re-plumbs a node whose container was restarted (`docker restart`, the engine restarting): its
 * network namespace is new, so its veth links (and their VPC-router ends), addresses, routes, CNI,
 * pods and rules are gone while the container runs. Found from the VPC router (the node's port is
 * missing there), redone the way `lab up` builds a node (src/lab/up.ts buildLab), for that node
 * only; then every node's kube-proxy and the edge are synced with the pods ready again.
 */
import type { LabModel, NodeModel } from '../model/types';
import { containerPid, restartContainer, runToCompletion } from '../runtime/containers';
import { exec, execScriptOk, podSetupTimeoutMs } from '../runtime/exec';
import { fabricHelperSpec } from '../plan/containers';
import { renderLinkScript } from '../plan/fabric';
import { renderNodeBase, RUN_DIR } from '../plan/node';
import { isContainerPod, parseCniResults, renderPodsOnNode } from '../plan/pod';
import { q, script } from '../plan/shell';
import { renderIpMasqAgent } from '../edge/masq';
import { LabError } from '../errors';
import { recordCniResults, renderCniInstall, withPods } from './cni';
import { syncNetworkPolicies } from './netpol';
import { prepareDnsPods } from './dns';
import { startContainerPods } from './container-pods';
import { podKey, readyPods, syncProxy } from './proxy';
import { saveModel } from './state';
import { readFaults } from './faults/store';
import { NodeToRepair, nodesToRepair } from './nodes-to-repair';

/** A node restarted to redo a half-done set-up is given up after this (it takes about 1 s). */
const RESTART_TIMEOUT_MS = 20_000;

/**
 * Observes what `lab up` judges (src/lab/nodes-to-repair.ts): `ip -o link show` in the VPC router
 * and in every running node, and the active link-down faults.
 */
export async function observeNodesToRepair(model: LabModel): Promise<NodeToRepair[]> {
  const [vpc, faults, nodes] = await Promise.all([
    exec(model.vpc.container, ['ip', '-o', 'link', 'show']),
    readFaults(model.vpc.container),
    Promise.all(model.nodes.map(async (n) => [n, await exec(n.container, ['ip', '-o', 'link', 'show'])] as const)),
  ]);
  if (vpc.failed) throw new LabError(`cannot read the VPC router's links: ${vpc.stderr.trim()}`);
  const nodeLinks = new Map<string, string>();
  for (const [n, r] of nodes) {
    if (r.failed)
      throw new LabError(
        `cannot read node ${n.name}'s links: ${(r.stderr.trim() || `exit ${r.exitCode}`).split('\n')[0]}`,
        {
          hint: `lab status --name ${model.name} shows the node; lab down --name ${model.name} && lab up rebuilds the lab`,
        },
      );
    nodeLinks.set(n.name, r.stdout);
  }
  const linkDownFaults = new Set(faults.active.filter((f) => f.kind === 'link-down').map((f) => f.target));
  return nodesToRepair(model, { nodeLinks, vpcLinks: vpc.stdout, linkDownFaults });
}

/**
 * Repairs what observeNodesToRepair found. A node left half set up is restarted first; its port
 * on the router is deleted before (one end of a veth takes the other with it at once), so the new
 * link is not created while the old namespace's teardown still holds the name.
 */
export async function repairObservedNodes(
  model: LabModel,
  found: NodeToRepair[],
  log: (m: string) => void,
): Promise<NodeRepair[]> {
  for (const { node } of found.filter((f) => f.restart)) {
    await execScriptOk(model.vpc.container, script([`ip link del ${q(node.vpcIface)}`]), `old port of ${node.name}`);
    await restartContainer(node.container, RESTART_TIMEOUT_MS);
    log(`${node.name}: container restarted (a new, empty network namespace) to set it up again from the start`);
  }
  return repairNodes(
    model,
    found.map((f) => f.node),
    log,
  );
}

/**
 * Pure: the VPC router's side of a node's new link (its bridge port, the pod-CIDR route), left
 * down: `lab watch` takes the port up for the node's heartbeat (src/lab/faults/watch-view.ts), and
 * a node being rebuilt has no kubelet to post one. It goes up once the node and its pods are back
 * (renderVpcNodePortUp); before, the watch saw the node Ready half-way through the repair and
 * restarted its pods beside the repair's own (the bench's 65/72, the node-restart e2e's pods not
 * running after `lab up`).
 */
export function renderVpcNodePort(model: LabModel, node: NodeModel): string[] {
  const s = model.subnets.find((x) => x.name === node.subnet);
  if (!s) throw new Error(`node ${node.name}: unknown subnet ${node.subnet}`);
  return [
    `ip link set ${q(node.vpcIface)} master ${q(s.bridge)}`,
    `echo 0 > /proc/sys/net/ipv4/conf/${node.vpcIface}/send_redirects`,
    ...(model.cluster.cni === 'vpc-routes' ? [`ip route replace ${node.podCIDR} via ${node.ip}`] : []),
  ];
}

/**
 * Pure: the node's port on the VPC router up, the repair's last step: from then on it answers. Its
 * new eth0 has a new MAC, and the router still held the old one as REACHABLE (seen after a
 * restart): frames to the node went to a MAC nobody has until that entry aged out, so the
 * router forgets it and resolves the node again.
 */
export function renderVpcNodePortUp(node: NodeModel): string[] {
  return [`ip neigh flush to ${node.ip}`, `ip link set ${q(node.vpcIface)} up`];
}

/** Pure: on a node of the same subnet, which may talk to the repaired node directly, its old MAC forgotten. */
export function renderForgetNode(node: NodeModel): string[] {
  return [`ip neigh flush to ${node.ip}`];
}

/**
 * Pure: what the old network namespace left in the node's filesystem, removed before the node is
 * set up again (as a container runtime cleans up sandboxes that died with their host): the pods'
 * netns mount points (plain files now), the lab's run state and pid files, host-local's address
 * reservations (the same pods take the same addresses again).
 */
export function renderStaleNodeState(): string[] {
  return [
    '# leftovers of the network namespace that died with the restart',
    'for f in /run/netns/*; do [ -e "$f" ] || continue; umount "$f" 2>/dev/null || true; rm -f "$f"; done',
    `rm -rf ${RUN_DIR} /var/lib/cni/networks`,
  ];
}

export interface NodeRepair {
  node: string;
  links: number;
  pods: number;
  ms: number;
}

/** Re-plumbs `nodes` (one at a time), then syncs policies, proxies and the edge; returns what was done. */
export async function repairNodes(
  stored: LabModel,
  nodes: NodeModel[],
  log: (m: string) => void,
): Promise<NodeRepair[]> {
  let model = stored;
  const image = model.image;
  if (!image) throw new LabError(`lab ${model.name} has no image recorded; rebuild it with lab down and lab up`);
  const done: NodeRepair[] = [];
  for (const node of nodes) {
    const t0 = Date.now();
    const links = model.links.filter((l) => l.a.container === node.container || l.b.container === node.container);
    const pids: Record<string, number> = {};
    for (const l of links) for (const c of [l.a.container, l.b.container]) pids[c] ??= await containerPid(c);
    const helper = await runToCompletion(fabricHelperSpec(model, image, renderLinkScript(links, pids)));
    if (helper.exitCode !== 0) throw new LabError(`re-creating ${node.name}'s links failed: ${helper.output.trim()}`);
    await execScriptOk(model.vpc.container, script(renderVpcNodePort(model, node)), `vpc port of ${node.name}`);
    await execScriptOk(
      node.container,
      script([
        ...renderStaleNodeState(),
        ...renderNodeBase(model, node),
        ...renderCniInstall(model, node),
        ...(model.edge ? renderIpMasqAgent(model, node) : []),
      ]),
      `node ${node.name} setup`,
    );
    const pods = model.pods.filter((p) => p.node === node.name);
    await prepareDnsPods(model, pods);
    const out = await execScriptOk(node.container, script(renderPodsOnNode(model, node)), `pods on ${node.name}`, {
      timeoutMs: podSetupTimeoutMs(pods.length),
    });
    const processPods = recordCniResults(
      pods.filter((p) => !isContainerPod(p)),
      parseCniResults(out.stdout),
    );
    const containerPods = await startContainerPods(model, pods, image);
    model = withPods(model, [...processPods, ...containerPods]);
    await execScriptOk(model.vpc.container, script(renderVpcNodePortUp(node)), `vpc port of ${node.name} up`);
    const peers = model.nodes.filter((n) => n !== node && n.subnet === node.subnet);
    await Promise.all(
      peers.map((n) =>
        execScriptOk(n.container, script(renderForgetNode(node)), `${n.name} forgets ${node.name}'s MAC`),
      ),
    );
    done.push({ node: node.name, links: links.length, pods: pods.length, ms: Date.now() - t0 });
    log(
      `repaired ${node.name}: ${links.length} links re-created, node network and CNI set up, ${pods.length} pods started (${Date.now() - t0} ms)`,
    );
  }
  await syncNetworkPolicies(model);
  const ready = await readyPods(model);
  const sync = await syncProxy(model, { ready, full: true });
  log(
    `kube-proxy (${model.cluster.proxy}) synced on ${sync.nodes.length} nodes, ${[...ready].length} of ${model.pods.length} pods ready${model.pods.some((p) => !ready.has(podKey(p))) ? '' : ''}`,
  );
  await saveModel(model);
  return done;
}
