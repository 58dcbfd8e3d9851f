/**
 * Makes a workload change real on the nodes, in the order Kubernetes does it for a graceful
 * delete: the pods going away leave the Services' endpoints first (kube-proxy sync without
 * them), then the kubelet stops them, starts the new pods (waiting for readiness), the model
 * is stored, and kube-proxy syncs every node with the endpoints that are ready now.
 */
import type { LabModel, PodModel } from '../model/types';
import { deletePods, startPods } from './kubelet';
import { podKey, readyPods, SyncResult, syncProxy } from './proxy';
import { syncNetworkPolicies } from './netpol';
import { syncIngress } from './ingress';
import { saveModel } from './state';
import { withPods } from './cni';
import { execScriptOk } from '../runtime/exec';
import { renderNeighFlush } from '../plan/neigh';

export type Log = (msg: string) => void;

export interface ReconcileResult {
  sync: SyncResult;
  ms: number;
}

function podLine(verb: string, p: PodModel): string {
  return `pod ${p.namespace}/${p.name} ${verb} (node ${p.node}, ${p.ip})`;
}

/** Endpoints per service port as `ip:port` lists, for printing. */
function endpointSummary(sync: SyncResult): string[] {
  return sync.endpoints
    .filter((s) => s.endpoints.length > 0)
    .map((s) => {
      const ready = s.endpoints.filter((e) => e.ready).map((e) => `${e.ip}:${e.port}`);
      const name = `${s.namespace}/${s.service}${s.portName ? `:${s.portName}` : ''}`;
      return `endpoints ${name}: ${ready.length ? ready.join(' ') : '(none ready)'}`;
    });
}

async function flushNeighbours(model: LabModel, pods: PodModel[]): Promise<void> {
  const ips = pods.map((p) => p.ip).filter(Boolean);
  if (ips.length === 0) return;
  const containers = [model.vpc.container, ...model.nodes.map((n) => n.container)];
  await Promise.all(containers.map((c) => execScriptOk(c, renderNeighFlush(ips), 'flush neighbour entries')));
}

export async function reconcile(
  model: LabModel,
  planned: LabModel,
  added: PodModel[],
  removed: PodModel[],
  log: Log = console.log,
): Promise<ReconcileResult> {
  let next = planned;
  const t0 = Date.now();
  if (removed.length > 0) {
    // Terminating pods stop being endpoints before their processes are stopped, so no new
    // connection is sent to a pod that is going away.
    const leaving = new Set(removed.map(podKey));
    const ready = await readyPods(model);
    for (const k of leaving) ready.delete(k);
    await syncProxy(model, { ready });
    await deletePods(model, removed);
    await flushNeighbours(model, removed);
    for (const p of removed) log(podLine('deleted', p));
  }
  // The next policies before new pods start (they are isolated from their first packet).
  const policies = await syncNetworkPolicies(next, model);
  if (policies.length)
    log(
      `network policies: ${next.networkPolicies?.length ?? 0} policies, ${policies.reduce((n, s) => n + s.rules, 0)} rules synced on ${policies.length} nodes (${Math.max(...policies.map((s) => s.ms))}ms); chains ${policies.reduce((n, s) => n + s.added, 0)} added, ${policies.reduce((n, s) => n + s.rewritten, 0)} rewritten, ${policies.reduce((n, s) => n + s.removed, 0)} removed, the rest untouched`,
    );
  if (added.length > 0) {
    // The stored model records what each pod's CNI ADD returned (the host veth the plugin named).
    next = withPods(next, await startPods(next, added));
    await flushNeighbours(next, added);
    for (const p of added) log(podLine('created', p));
  }
  await saveModel(next);
  const sync = await syncProxy(next);
  const how = sync.nodes.map((n) => `${n.node} ${n.partial ? 'partial' : 'full'} ${n.ms}ms`).join(', ');
  log(`kube-proxy (${next.cluster.proxy}) synced: ${how}`);
  for (const l of endpointSummary(sync)) log(l);
  // The L7 ingress (nginx, as the guide's ALB) follows Ingress and Service changes: graceful reload.
  await syncIngress(next, { log, slices: sync.endpoints });
  return { sync, ms: Date.now() - t0 };
}
