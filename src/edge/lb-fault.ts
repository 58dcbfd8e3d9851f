/**
 * lb-backend-down, pure: the cloud load balancer loses one backend node because the node's
 * health-check ports stop answering the LB's checker (as when a cloud firewall or security group
 * starts dropping the LB's health-check source range). The node keeps serving every other client:
 * only packets from the LB's own address to the check ports are dropped, and the LB's real
 * traffic never carries that address (it DNATs keeping the client's). The checker then marks the
 * node down after `fall` failed rounds (2 × intervalSeconds 1 s, each check timing out after
 * 1 s: within about 3 s, a cloud setting, not a Kubernetes timing, so not time-scaled) and
 * rewrites the LB's DNAT rules without it; the lab's LoadBalancer paths still pass through the
 * remaining nodes. With no healthy node left the LB has no DNAT rule for the IP and the path
 * fails: this lab's LB routes to healthy targets only (AWS NLB instead "fails open" to every
 * target when all are unhealthy; GCP's passthrough NLB drops), and verify says there is no
 * healthy node.
 */
import type { LabModel, NodeModel } from '../model/types';
import { faultTable } from '../faults/render';
import { lbConfig } from './lb';

/** The fault store (src/lab/faults/store.ts keeps it in the VPC container; paths read it here). */
export const FAULT_STORE_FILE = '/etc/k8s-netlab/faults.json';

/** Every port the LB's checker connects to on `node` (all checks are TCP: a connect or an HTTP GET). */
export function lbCheckPorts(model: LabModel, node: NodeModel): number[] {
  const ports = new Set<number>();
  for (const e of lbConfig(model).entries) for (const t of e.targets) if (t.node === node.name) ports.add(t.check.port);
  return [...ports].sort((a, b) => a - b);
}

/**
 * In the node: drop what the LB's address sends to the check ports, in prerouting before
 * conntrack and DNAT (priority -310), so a NodePort check is dropped before kube-proxy's DNAT.
 */
export function renderLbBackendDown(id: string, model: LabModel, node: NodeModel): string {
  const lb = model.edge!.lb;
  const ports = lbCheckPorts(model, node);
  return [
    `table inet ${faultTable(id)} {`,
    `  comment "k8s-netlab fault ${id}: lb-backend-down ${node.name}: health checks from the LB ${lb.ip} dropped"`,
    `  chain prerouting { type filter hook prerouting priority -310; policy accept; ip saddr ${lb.ip} tcp dport { ${ports.join(', ')} } drop; }`,
    '}',
  ].join('\n');
}

/** Nodes the active faults take out of the LB (the fault store's text; empty or unreadable: none). */
export function lbDownNodes(storeText: string): Set<string> {
  try {
    const s = JSON.parse(storeText) as { active?: Array<{ kind: string; target: string }> };
    return new Set((s.active ?? []).filter((f) => f.kind === 'lb-backend-down').map((f) => f.target));
  } catch {
    return new Set();
  }
}

/** The checker's state file (images/lb/checker.py write_json), as far as the timeline needs it. */
interface LbStateFile {
  updated: number;
  services: Record<
    string,
    { healthy: string[]; checks: Record<string, { ok: boolean; detail: string; check: string }> }
  >;
}

export interface LbHealthEvent {
  kind: 'lb-backend-dropped' | 'lb-backend-restored';
  node: string;
  /** The checker's round that saw it (ms since epoch). */
  at: number;
  detail: string;
}

/** Per LB entry, the healthy nodes. */
export type LbHealthy = Map<string, Set<string>>;

/**
 * Pure: what changed at the LB since `prev` (one event per node and direction, naming the entries
 * and the failed check), and the new view. The first read (`prev` undefined) is the baseline: no
 * event. An unreadable state (being rewritten, checker not started) changes nothing.
 */
export function lbHealthEvents(
  prev: LbHealthy | undefined,
  stateText: string,
): { events: LbHealthEvent[]; healthy: LbHealthy | undefined } {
  let st: LbStateFile;
  try {
    st = JSON.parse(stateText) as LbStateFile;
    if (!st || typeof st.services !== 'object') return { events: [], healthy: prev };
  } catch {
    return { events: [], healthy: prev };
  }
  const now: LbHealthy = new Map(Object.entries(st.services).map(([k, v]) => [k, new Set(v.healthy)]));
  if (!prev) return { events: [], healthy: now };
  const dropped = new Map<string, string[]>();
  const restored = new Map<string, string[]>();
  const add = (m: Map<string, string[]>, node: string, what: string) => m.set(node, [...(m.get(node) ?? []), what]);
  for (const [entry, nodes] of now) {
    const was = prev.get(entry);
    if (!was) continue; // a new entry (lab apply): its first round is its baseline
    for (const n of was)
      if (!nodes.has(n)) {
        const c = st.services[entry].checks[n];
        add(dropped, n, `${entry}${c ? ` (${c.check} ${c.detail})` : ''}`);
      }
    for (const n of nodes) if (!was.has(n)) add(restored, n, entry);
  }
  const at = Math.round(st.updated * 1000);
  const events: LbHealthEvent[] = [
    ...[...dropped].map(([node, what]) => ({
      kind: 'lb-backend-dropped' as const,
      node,
      at,
      detail: `the load balancer's health check dropped ${node} from ${what.join(', ')}`,
    })),
    ...[...restored].map(([node, what]) => ({
      kind: 'lb-backend-restored' as const,
      node,
      at,
      detail: `the load balancer's health check passes again: ${node} back in ${what.join(', ')}`,
    })),
  ];
  return { events, healthy: now };
}
