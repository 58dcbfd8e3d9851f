/**
 * kube-proxy's sync loop, one pass: endpoints from the pods observed ready, the proxy plan per
 * node (src/proxy, pure), applied in every node at once. The last applied state is kept in the
 * node so the next sync, from any command, is partial/incremental as kube-proxy's is.
 */
import { LabModel, PodModel } from '../model/types';
import { computeEndpoints, EndpointSlice } from '../proxy/endpoints';
import { PROXY_DIR, ProxyState, renderProxyPlan } from '../proxy/plan';
import { exec, execScriptOk } from '../runtime/exec';
import { writeFileLines } from '../plan/shell';
import { observePods } from './kubelet';
import { syncEdge } from './edge';
import { syncDns } from './dns';
import { edgeProxyOptions } from '../edge/extras';
import { usesEndpointsMode } from '../plan/ingress';
import { syncIngress } from './ingress';

export const STATE_FILE = `${PROXY_DIR}/state.json`;

export interface NodeSync {
  node: string;
  partial: boolean;
  ms: number;
}

export interface SyncResult {
  endpoints: EndpointSlice[];
  nodes: NodeSync[];
}

/** Pod keys (`ns/name`) whose servers answer /healthz: the "ready" condition of their endpoints. */
export async function readyPods(model: LabModel): Promise<Set<string>> {
  const obs = await observePods(model);
  return new Set(obs.filter((o) => o.ready).map((o) => podKey(o.pod)));
}

export function podKey(p: Pick<PodModel, 'namespace' | 'name'>): string {
  return `${p.namespace}/${p.name}`;
}

/** The script that writes the plan's files and runs its commands, then records the state. */
export function renderApply(files: Record<string, string>, commands: string[], state: ProxyState): string {
  // One sync at a time per node: `lab watch` and `lab scale`/`apply` may sync concurrently.
  const lines = ['set -eu', `mkdir -p ${PROXY_DIR}`, `exec 9>${PROXY_DIR}/sync.lock`, 'flock 9'];
  for (const [path, content] of Object.entries(files)) lines.push(...writeFileLines(path, content, { mkdir: true }));
  lines.push(...commands);
  lines.push(...writeFileLines(STATE_FILE, JSON.stringify(state), { mkdir: true }));
  return lines.join('\n') + '\n';
}

async function readState(container: string): Promise<ProxyState | undefined> {
  const r = await exec(container, ['cat', STATE_FILE]);
  if (r.failed || !r.stdout.trim()) return undefined;
  try {
    return JSON.parse(r.stdout) as ProxyState;
  } catch {
    return undefined;
  }
}

export interface SyncOptions {
  /** Ready pods; observed from the pods' /healthz when not given. */
  ready?: Set<string>;
  /** Previous state per node (a running control loop keeps it in memory); read from the nodes when not given. */
  prev?: Map<string, ProxyState>;
  /** Ignore previous state: a full sync. */
  full?: boolean;
  /** Nodes not to sync (their kubelet does not answer: stopped or frozen); their previous state is kept. */
  skipNodes?: Set<string>;
  /** DNS already serves these endpoints (lab up prepared it with every pod ready, and every pod is): no DNS sync. */
  dnsCurrent?: boolean;
}

/** One sync of every node; returns the endpoints used and how each node was synced. */
export async function syncProxy(
  model: LabModel,
  opts: SyncOptions = {},
): Promise<SyncResult & { states: Map<string, ProxyState> }> {
  const ready = opts.ready ?? (await readyPods(model));
  const endpoints = computeEndpoints(model, (p) => ready.has(podKey(p)));
  const states = new Map<string, ProxyState>();
  for (const n of opts.skipNodes ?? []) if (opts.prev?.has(n)) states.set(n, opts.prev.get(n)!);
  const proxied = Promise.all(
    model.nodes
      .filter((n) => !opts.skipNodes?.has(n.name))
      .map(async (n) => {
        const t0 = Date.now();
        const prev = opts.full ? undefined : opts.prev ? opts.prev.get(n.name) : await readState(n.container);
        const usable = prev && prev.mode === model.cluster.proxy ? prev : undefined;
        const plan = renderProxyPlan(model, n.name, endpoints, model.cluster.proxy, usable, edgeProxyOptions(model));
        await execScriptOk(
          n.container,
          renderApply(plan.files, plan.commands, plan.state),
          `kube-proxy sync on ${n.name}`,
        );
        states.set(n.name, plan.state);
        return { node: n.name, partial: plan.partial, ms: Date.now() - t0 };
      }),
  );
  // The rules, the edge (health servers, load balancer) and DNS are independent of each other:
  // synced side by side, as kube-proxy and CoreDNS each follow the endpoints on their own. All
  // settle before the first failure is thrown, so no sync is left running behind an error.
  const [nodesDone, edgeDone] = await Promise.allSettled([
    proxied,
    syncEdge(model, endpoints, opts.skipNodes),
    opts.dnsCurrent ? Promise.resolve() : syncDns(model, endpoints),
  ]);
  if (nodesDone.status === 'rejected') throw nodesDone.reason;
  if (edgeDone.status === 'rejected') throw edgeDone.reason;
  const nodes = nodesDone.value;
  // ingress-nginx watches endpoints: an endpoints-mode Ingress follows every change (nginx reloads
  // only when its upstreams changed).
  if (model.edge && usesEndpointsMode(model)) await syncIngress(model, { slices: endpoints, onlyIfChanged: true });
  return { endpoints, nodes, states };
}
