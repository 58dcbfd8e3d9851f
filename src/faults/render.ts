/**
 * Faults as desired state, pure: what to record and the nftables rules that make a partition or a
 * lossy link inside a node. Each fault's rules live in their own table, named for the fault, so
 * clearing one is deleting its table and nothing else of the node's rules is touched.
 */
import type { LabModel, NodeModel } from '../model/types';
import { InputError } from '../errors';

export const FAULT_KINDS = ['node-freeze', 'node-stop', 'pod-kill', 'partition', 'link-loss'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRecord {
  id: string;
  kind: FaultKind;
  /** A node, or `ns/pod` for pod-kill. */
  target: string;
  /** partition: the other node. */
  peer?: string;
  /** link-loss: percent of packets dropped each way. */
  percent?: number;
  /** ISO time the fault took effect. */
  injectedAt: string;
  /** What was done, in words. */
  detail: string;
}

export interface FaultRequest {
  kind: string;
  target: string;
  peer?: string;
  percent?: number;
}

/** `k8s_netlab_fault_f3`: one nftables table per fault and node. */
export function faultTable(id: string): string {
  return `k8s_netlab_fault_${id}`;
}

/** Next id: f1, f2, ... after the highest recorded (ids are never reused within a lab). */
export function nextFaultId(existing: FaultRecord[], highest = 0): string {
  const n = Math.max(highest, ...existing.map((f) => Number(f.id.slice(1)) || 0));
  return `f${n + 1}`;
}

function node(model: LabModel, name: string | undefined, field: string): NodeModel {
  const n = model.nodes.find((x) => x.name === name);
  if (!n)
    throw new InputError(`no node ${name ?? '(none given)'}`, {
      field,
      hint: `use one of: ${model.nodes.map((x) => x.name).join(', ')}`,
    });
  return n;
}

/** Checks a request against the model: clear errors naming the field, nothing done. */
export function checkFault(
  model: LabModel,
  r: FaultRequest,
  active: FaultRecord[],
): { kind: FaultKind; nodes: NodeModel[] } {
  if (!(FAULT_KINDS as readonly string[]).includes(r.kind))
    throw new InputError(`unknown fault kind ${r.kind}`, {
      field: 'KIND',
      hint: `use one of: ${FAULT_KINDS.join(', ')}`,
    });
  const kind = r.kind as FaultKind;
  if (kind === 'pod-kill') {
    const [ns, name] = r.target.includes('/') ? r.target.split('/', 2) : ['default', r.target];
    const pod = model.pods.find((p) => p.namespace === ns && p.name === name);
    if (!pod)
      throw new InputError(`no pod ${ns}/${name}`, {
        field: 'TARGET',
        hint: `use one of: ${model.pods.map((p) => `${p.namespace}/${p.name}`).join(', ')}`,
      });
    return { kind, nodes: [node(model, pod.node, 'TARGET')] };
  }
  const a = node(model, r.target, 'TARGET');
  if (kind === 'partition') {
    const b = node(model, r.peer, '--from');
    if (a.name === b.name)
      throw new InputError(`a node cannot be partitioned from itself`, { field: '--from', hint: 'name another node' });
    return { kind, nodes: [a, b] };
  }
  if (kind === 'link-loss') {
    const p = r.percent;
    if (p === undefined || !Number.isInteger(p) || p < 1 || p > 100)
      throw new InputError(`must be a whole percent from 1 to 100, got ${p}`, {
        field: '--percent',
        hint: 'e.g. --percent 30',
      });
  }
  if (
    (kind === 'node-freeze' || kind === 'node-stop') &&
    active.some((f) => (f.kind === 'node-freeze' || f.kind === 'node-stop') && f.target === a.name)
  )
    throw new InputError(`node ${a.name} is already frozen or stopped by a fault`, {
      field: 'TARGET',
      hint: `clear it first: lab fault clear ${active.find((f) => f.target === a.name)!.id}`,
    });
  return { kind, nodes: [a] };
}

/**
 * Partition, in node `self` against node `other`: drop what comes from or goes to the other
 * node's address and pod block, after DNAT (filter hooks) so traffic to a Service VIP whose
 * backend is across the partition is dropped too.
 */
export function renderPartition(id: string, self: NodeModel, other: NodeModel): string {
  const t = faultTable(id);
  const set = `{ ${other.ip}, ${other.podCIDR} }`;
  return [
    `table inet ${t} {`,
    `  comment "k8s-netlab fault ${id}: partition ${self.name} | ${other.name}"`,
    ...(['input', 'forward', 'output'] as const).map(
      (h) =>
        `  chain ${h} { type filter hook ${h} priority -10; policy accept; ip saddr ${set} drop; ip daddr ${set} drop; }`,
    ),
    '}',
  ].join('\n');
}

/**
 * Packet loss on a node's link (eth0), each way. This kernel has no netem (sch_netem): the drop is
 * nftables' `numgen random mod 100 < P`, a uniform random drop with no delay, duplication or
 * correlation.
 */
export function renderLinkLoss(id: string, self: NodeModel, percent: number): string {
  const t = faultTable(id);
  return [
    `table inet ${t} {`,
    `  comment "k8s-netlab fault ${id}: link-loss ${percent}% on ${self.name} eth0 (nftables numgen, no netem)"`,
    `  chain prerouting { type filter hook prerouting priority -310; policy accept; iifname "eth0" numgen random mod 100 < ${percent} drop; }`,
    `  chain postrouting { type filter hook postrouting priority 310; policy accept; oifname "eth0" numgen random mod 100 < ${percent} drop; }`,
    '}',
  ].join('\n');
}

/** Removes a fault's table; fine when it is gone already. */
export function renderTableDelete(id: string): string {
  return `nft delete table inet ${faultTable(id)} 2>/dev/null || true`;
}
