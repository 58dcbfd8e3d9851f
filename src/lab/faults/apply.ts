/** Applies and removes faults on a running lab (the thin edge over src/faults/render.ts). */
import type { LabModel } from '../../model/types';
import { InputError } from '../../errors';
import { execScript, execScriptOk } from '../../runtime/exec';
import { listLabContainers, setContainerRun } from '../../runtime/containers';
import { thawNode } from '../thaw';
import { script } from '../../plan/shell';
import { renderContainerKill } from '../../plan/probe';
import { isContainerPod } from '../../plan/pod';
import { containerPodName } from '../../plan/container-pod';
import {
  checkFault,
  FaultRecord,
  FaultRequest,
  nextFaultId,
  renderLinkLoss,
  renderPartition,
  renderTableDelete,
  renderPodReadiness,
  renderDnsDown,
  renderDnsUp,
  findPod,
  renderLinkSet,
  renderNodePowerCut,
} from '../../faults/render';
import { readFaults, writeFaults } from './store';
import { lbCheckPorts, renderLbBackendDown } from '../../edge/lb-fault';

function nftScript(rules: string): string {
  return `nft -f - <<'K8S_NETLAB_NFT'\n${rules}\nK8S_NETLAB_NFT\n`;
}

/**
 * `docker pause`, tried 3 times: the cgroup freezer can fail to freeze a busy container at once
 * ("OCI runtime pause failed: unable to freeze", seen on a loaded machine).
 */
async function pauseWithRetry(container: string): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await setContainerRun(container, 'pause');
    } catch (err) {
      if (i >= 3 || !/unable to freeze/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function injectFault(model: LabModel, req: FaultRequest): Promise<FaultRecord> {
  const store = await readFaults(model.vpc.container);
  const { kind, nodes, pods } = checkFault(model, req, store.active);
  const id = nextFaultId(store.active, store.highest);
  const [a, b] = nodes;
  // The fault's time 0 is when it is set off (a `docker stop` returns only after the teardown).
  const injectedAt = new Date().toISOString();
  let detail: string;
  switch (kind) {
    case 'node-freeze':
      await pauseWithRetry(a.container);
      detail = `docker pause ${a.container}: every process frozen, state and rules kept`;
      break;
    case 'node-stop':
      // Silence first (a node losing power sends nothing, not even a RST), then the container. A
      // node that cannot run it (already stopped, paused outside the tool) has nothing to silence:
      // the stop goes ahead as before.
      await execScript(a.container, renderNodePowerCut(), { timeoutMs: 5_000 }).catch(() => undefined);
      await setContainerRun(a.container, 'stop').catch((err: Error & { cause?: { statusCode?: number } }) => {
        // 304 from the engine: the container was not running (stopped outside the tool).
        if (err.cause?.statusCode !== 304) throw err;
        throw new InputError(`node ${a.name} is not running: there is nothing to stop`, {
          field: 'TARGET',
          hint: `docker start ${a.container} and lab watch (or lab up) re-plumbs it; then inject the fault`,
          cause: err,
        });
      });
      detail = `links down, then docker stop ${a.container}: kubelet, pods, links and rules gone`;
      break;
    case 'pod-kill': {
      const [ns, name] = req.target.includes('/') ? req.target.split('/', 2) : ['default', req.target];
      const pod = model.pods.find((p) => p.namespace === ns && p.name === name)!;
      if (isContainerPod(pod)) await setContainerRun(containerPodName(model, pod), 'stop');
      else
        await execScriptOk(
          a.container,
          script(pod.containers.map((c) => renderContainerKill(pod, c))),
          `kill ${ns}/${name}`,
        );
      detail = `killed every container of ${ns}/${name} on ${a.name} (the kubelet restarts them, with CrashLoopBackOff)`;
      break;
    }
    case 'partition':
      await execScriptOk(a.container, nftScript(renderPartition(id, a, b)), `partition on ${a.name}`);
      await execScriptOk(b.container, nftScript(renderPartition(id, b, a)), `partition on ${b.name}`);
      detail = `nftables drop between ${a.name} (${a.ip}, ${a.podCIDR}) and ${b.name} (${b.ip}, ${b.podCIDR}), table ${`k8s_netlab_fault_${id}`} in both`;
      break;
    case 'link-loss':
      await execScriptOk(a.container, nftScript(renderLinkLoss(id, a, req.percent!)), `link-loss on ${a.name}`);
      detail = `${req.percent}% of packets dropped each way on ${a.name} eth0 (nftables numgen random; this kernel has no netem)`;
      break;
    case 'pod-unready': {
      const pod = pods![0];
      await execScriptOk(a.container, renderPodReadiness(pod, false), `pod-unready ${pod.name}`);
      detail = `${pod.namespace}/${pod.name} on ${a.name} answers traffic but fails its readiness check (/healthz 503); without a readinessProbe, Kubernetes' defaults: not ready after failureThreshold 3 x periodSeconds 10 (x time-scale)`;
      break;
    }
    case 'dns-down':
      for (const [i, pod] of pods!.entries())
        await execScriptOk(nodes[i].container, renderDnsDown(id, pod), `dns-down ${pod.name}`);
      detail = `${pods!.map((p) => `${p.namespace}/${p.name}`).join(', ')} stop answering DNS (UDP/TCP 53 from the network dropped in the pod; queries to them time out until their readiness check fails: CoreDNS' (an SOA query from the node) does, the offline server's (over lo) does not)`;
      break;
    case 'link-down':
      await execScriptOk(model.vpc.container, renderLinkSet(a, false), `link-down ${a.name}`);
      detail = `${a.name}'s link (${a.vpcIface} on the VPC router) down: no traffic in or out, its kubelet's heartbeat stops (NotReady after the grace period)`;
      break;
    case 'lb-backend-down':
      await execScriptOk(a.container, nftScript(renderLbBackendDown(id, model, a)), `lb-backend-down on ${a.name}`);
      detail = `${a.name} drops the load balancer's health checks (from ${model.edge!.lb.ip} to TCP ${lbCheckPorts(model, a).join(', ')}), table k8s_netlab_fault_${id}: the LB drops it after fall 2 x interval 1 s and sends its connections to the other nodes`;
      break;
    case 'proxy-stuck':
      detail = `kube-proxy on ${a.name} stops syncing: lab watch leaves its rules as they are while the other nodes follow the endpoints (lab apply/scale still sync it)`;
      break;
  }
  const podNames = pods?.map((p) => `${p.namespace}/${p.name}`);
  const rec: FaultRecord = {
    id,
    kind,
    target:
      kind === 'pod-kill'
        ? req.target
        : kind === 'pod-unready'
          ? podNames![0]
          : kind === 'dns-down'
            ? req.target
            : a.name,
    ...(podNames ? { pods: podNames } : {}),
    ...(b ? { peer: b.name } : {}),
    ...(req.percent !== undefined && kind === 'link-loss' ? { percent: req.percent } : {}),
    injectedAt,
    detail,
  };
  await writeFaults(model, { ...store, highest: Number(id.slice(1)), active: [...store.active, rec] });
  return rec;
}

/** Undoes a fault; returns a note when undoing is not complete (node-stop). */
async function undo(model: LabModel, f: FaultRecord): Promise<string | undefined> {
  const node = (name: string | undefined) => model.nodes.find((n) => n.name === name);
  switch (f.kind) {
    case 'node-freeze': {
      // Bounded, as lab down thaws (src/lab/thaw.ts): the freezer cgroup, then docker unpause within 3 s.
      const name = node(f.target)!.container;
      return thawNode(
        f.target,
        (await listLabContainers(model.name)).find((c) => c.name === name),
        model.name,
      );
    }
    case 'node-stop':
      return `node ${f.target} stays stopped: its links and pods died with its network namespaces; docker start it and lab watch (or lab up) re-plumbs that node (links, pods, rules)`;
    case 'pod-kill':
      return undefined; // nothing to undo: the kubelet restarted it
    case 'pod-unready': {
      const pod = findPod(model, f.target, 'default');
      const r = await execScript(node(pod.node)!.container, renderPodReadiness(pod, true));
      // A pod restarted since (its server starts ready) or gone needs nothing.
      return r.failed
        ? `${f.target}: could not set it ready again (${r.stderr.trim()}); a restart of the pod makes it ready`
        : undefined;
    }
    case 'dns-down':
      for (const name of f.pods ?? []) {
        const pod = findPod(model, name, 'kube-system');
        await execScriptOk(node(pod.node)!.container, renderDnsUp(f.id, pod), `clear ${f.id} on ${pod.name}`);
      }
      return undefined;
    case 'link-down':
      await execScriptOk(model.vpc.container, renderLinkSet(node(f.target)!, true), `clear ${f.id}`);
      return undefined;
    case 'proxy-stuck':
      return undefined; // lab watch syncs the node again at its next iteration
    case 'partition':
    case 'link-loss':
    case 'lb-backend-down':
      for (const n of [node(f.target), node(f.peer)])
        if (n) await execScriptOk(n.container, renderTableDelete(f.id), `clear ${f.id} on ${n.name}`);
      return undefined;
  }
}

export async function clearFaults(
  model: LabModel,
  which: { id?: string; all?: boolean },
): Promise<Array<{ fault: FaultRecord; note?: string }>> {
  const store = await readFaults(model.vpc.container);
  const chosen = which.all ? store.active : store.active.filter((f) => f.id === which.id);
  if (!which.all && chosen.length === 0)
    throw new InputError(`no active fault ${which.id ?? '(none given)'}`, {
      field: 'ID',
      hint: store.active.length
        ? `active: ${store.active.map((f) => f.id).join(', ')}; or --all`
        : 'no fault is active (lab fault list)',
    });
  const out: Array<{ fault: FaultRecord; note?: string }> = [];
  for (const f of chosen) {
    const note = await undo(model, f);
    out.push({ fault: f, ...(note ? { note } : {}) });
    store.active = store.active.filter((x) => x.id !== f.id);
    store.cleared.push({ ...f, clearedAt: new Date().toISOString() });
    await writeFaults(model, store);
  }
  return out;
}
