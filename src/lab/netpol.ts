/**
 * The NetworkPolicy agent's sync: render every node's table (src/netpol/nftables.ts, pure), diff
 * it against what the node holds (src/netpol/nft-sync.ts, pure) and load only the changed chains
 * with one `nft -f` per node, a single transaction, so no packet sees a half-applied policy set.
 * A lab that never had a policy is left untouched.
 */
import type { LabModel } from '../model/types';
import { DROP_SET, NETPOL_REMOVE, NETPOL_TABLE, renderNetpol } from '../netpol/nftables';
import { parseDropSet } from '../paths/network-policy/probes';
import { exec, execScriptOk } from '../runtime/exec';
import { q, writeFileLines } from '../plan/shell';
import { AppliedState, parseLiveTable, planNetpolSync } from '../netpol/nft-sync';

export const NETPOL_FILE = '/run/k8s-netlab/netpol.nft';
/** The chain hashes of the last sync (src/netpol/nft-sync.ts). */
export const NETPOL_STATE_FILE = '/run/k8s-netlab/netpol.json';
const STATE_MARK = '--- k8s-netlab netpol state ---';

export interface NetpolSync {
  node: string;
  chains: number;
  rules: number;
  ms: number;
  /** Chains added, flushed and refilled, deleted by this sync (the rest were left alone). */
  added: number;
  rewritten: number;
  removed: number;
}

/** The script that writes the node's rules and loads them (or removes the table when there are none), then records `state`. */
export function renderNetpolApply(text: string, state?: AppliedState): string {
  const content = text || NETPOL_REMOVE;
  return (
    [
      'set -eu',
      ...writeFileLines(NETPOL_FILE, content, { mkdir: true, tag: 'K8S_NETLAB_NETPOL' }),
      `nft -f ${q(NETPOL_FILE)}`,
      ...writeFileLines(NETPOL_STATE_FILE, JSON.stringify(state ?? { chains: {} }), { tag: 'K8S_NETLAB_NETPOL_STATE' }),
    ].join('\n') + '\n'
  );
}

/** Splits the node's read-out (table listing, mark, state file) into its parts. */
export function parseNodeNetpol(out: string): { live: ReturnType<typeof parseLiveTable>; applied?: AppliedState } {
  const [table, state] = out.split(STATE_MARK);
  let applied: AppliedState | undefined;
  try {
    applied = state?.trim() ? (JSON.parse(state) as AppliedState) : undefined;
  } catch {
    applied = undefined; // unreadable: every chain is rewritten
  }
  return { live: parseLiveTable(table), applied };
}

/**
 * Applies the model's policies on every node. `previous` is the model the lab ran before: when
 * neither has a policy nothing is done (labs without policies behave exactly as before).
 */
export async function syncNetworkPolicies(model: LabModel, previous?: LabModel): Promise<NetpolSync[]> {
  const has = (m?: LabModel) => (m?.networkPolicies?.length ?? 0) > 0;
  if (!has(model) && !has(previous)) return [];
  return Promise.all(
    model.nodes.map(async (n) => {
      const t0 = Date.now();
      const r = renderNetpol(model, n.name);
      const now = await exec(n.container, [
        'sh',
        '-c',
        `nft list table inet ${NETPOL_TABLE} 2>/dev/null; echo ${q(STATE_MARK)}; cat ${q(NETPOL_STATE_FILE)} 2>/dev/null || true`,
      ]);
      const { live, applied } = parseNodeNetpol(now.stdout);
      const plan = planNetpolSync(r, live, applied);
      if (plan.script)
        await execScriptOk(n.container, renderNetpolApply(plan.script, plan.state), `network policy sync on ${n.name}`);
      return {
        node: n.name,
        chains: r.chains.length,
        rules: r.rules,
        ms: Date.now() - t0,
        added: plan.added.length,
        rewritten: plan.rewritten.length,
        removed: plan.removed.length,
      };
    }),
  );
}

/** Packets a node's policy chains dropped, per `src dst proto port`, keyed by `node dir`. */
export type DropCounts = Record<string, Record<string, number>>;

export async function readDropCounts(model: LabModel): Promise<DropCounts> {
  const out: DropCounts = {};
  await Promise.all(
    model.nodes.flatMap((n) =>
      (['ingress', 'egress'] as const).map(async (dir) => {
        const r = await exec(n.container, [
          'sh',
          '-c',
          `nft -j list set inet ${NETPOL_TABLE} ${DROP_SET[dir]} 2>/dev/null || true`,
        ]);
        out[`${n.name} ${dir}`] = parseDropSet(r.stdout);
      }),
    ),
  );
  return out;
}

/** A drop of one connection, observed: where, how many packets, and the dropping rule's comment as the node holds it. */
export interface PolicyDrop {
  node: string;
  dir: 'ingress' | 'egress';
  packets: number;
  /** Comment of the drop rule read from the node (`x/b ingress isolated by x/default-deny-ingress`). */
  rule: string;
}

/** The drops of (src, dst, proto, port) between two readings, with the rule that dropped them. */
export async function dropsBetween(
  model: LabModel,
  before: DropCounts,
  after: DropCounts,
  src: string,
  dst: string,
  proto: string,
  port: number,
): Promise<PolicyDrop[]> {
  const key = `${src} ${dst} ${proto.toLowerCase()} ${port}`;
  const out: PolicyDrop[] = [];
  for (const [where, counts] of Object.entries(after)) {
    const packets = (counts[key] ?? 0) - (before[where]?.[key] ?? 0);
    if (packets <= 0) continue;
    const [node, dir] = where.split(' ') as [string, 'ingress' | 'egress'];
    const pod = model.pods.find((p) => p.node === node && p.ip === (dir === 'ingress' ? dst : src));
    const n = model.nodes.find((x) => x.name === node)!;
    const chain = pod
      ? await exec(n.container, ['nft', 'list', 'chain', 'inet', NETPOL_TABLE, `${dir}-${pod.hostVeth}`])
      : undefined;
    const rule = /drop comment "([^"]*)"/.exec(chain?.stdout ?? '')?.[1] ?? '(drop rule not found)';
    out.push({ node, dir, packets, rule });
  }
  return out;
}
