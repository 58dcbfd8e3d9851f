/**
 * Incremental NetworkPolicy sync (pure): from the node's rendered table (src/netpol/nftables.ts),
 * what the node holds now (`nft list table`) and what the last sync recorded (a hash per chain),
 * the one nft transaction that brings the node to the rendered state touching only what changed:
 * new counters and chains are added, a changed chain is flushed and refilled, the base chain is
 * refilled only when its jumps change, chains and counters no longer rendered are deleted (after
 * the jumps to them are gone). `nft -f` applies a file as a single transaction, so a packet sees
 * either the old or the new chain, never an empty or half-filled one. Drop sets and the counters
 * of unchanged chains keep counting across the change. This is how kube-proxy's nftables mode
 * syncs (pkg/proxy/nftables/proxier.go, v1.31: a partial sync rewrites only the chains of
 * changed services, in one transaction, flushing a chain before refilling it).
 * A chain is also rewritten when the node's rule count differs from the rendered one (drift:
 * a rule inserted or deleted by hand), so a sync repairs it.
 */
import { createHash } from 'crypto';
import {
  DROP_SET,
  DROP_SET_SPEC,
  FORWARD_CHAIN,
  FORWARD_TYPE,
  NETPOL_REMOVE,
  NETPOL_TABLE,
  NetpolRender,
} from './nftables';

/** What the node holds: rules per chain, named counters, sets (undefined: no table). */
export interface LiveTable {
  chains: Record<string, number>;
  counters: string[];
  sets: string[];
}

/** What the last sync wrote: a hash of each chain's rendered rules (base chain included). */
export interface AppliedState {
  chains: Record<string, string>;
}

export interface NetpolSyncPlan {
  /** The nft file (one transaction); empty when the node already holds the rendered state. */
  script: string;
  /** To record after the script loaded (empty chains: nothing to record, the table is gone). */
  state: AppliedState;
  added: string[];
  rewritten: string[];
  removed: string[];
  unchanged: string[];
  /** The table is created or deleted as a whole. */
  whole?: 'create' | 'delete';
}

/** Parses `nft list table inet k8s-netlab-netpol` (text). Rules are one per line in nft's listing. */
export function parseLiveTable(text: string): LiveTable | undefined {
  if (!/^table inet /m.test(text)) return undefined;
  const live: LiveTable = { chains: {}, counters: [], sets: [] };
  let chain: string | undefined;
  // nft indents with tabs: objects of the table at one tab, their content at two or more.
  for (const line of text.split('\n')) {
    const m = /^\t(chain|counter|set) (\S+) \{$/.exec(line);
    if (m) {
      chain = m[1] === 'chain' ? m[2] : undefined;
      if (chain) live.chains[chain] = 0;
      else (m[1] === 'counter' ? live.counters : live.sets).push(m[2]);
    } else if (/^\t\}$/.test(line)) chain = undefined;
    else if (chain && /^\t\t\S/.test(line) && !/^\t\t(type |comment ")/.test(line)) live.chains[chain]++;
  }
  return live;
}

export const chainHash = (rules: string[]): string =>
  createHash('sha256').update(rules.join('\n')).digest('hex').slice(0, 16);

/** The transaction that takes the node from `live` (+ `applied`) to `desired`. */
export function planNetpolSync(
  desired: NetpolRender,
  live: LiveTable | undefined,
  applied: AppliedState | undefined,
): NetpolSyncPlan {
  const empty = { added: [], rewritten: [], removed: [], unchanged: [] };
  if (!desired.chainRules.length) {
    if (!live) return { script: '', state: { chains: {} }, ...empty };
    return {
      script: NETPOL_REMOVE,
      state: { chains: {} },
      ...empty,
      removed: Object.keys(live.chains).filter((c) => c !== FORWARD_CHAIN),
      whole: 'delete',
    };
  }
  const wanted = [...desired.chainRules, { name: FORWARD_CHAIN, rules: [FORWARD_TYPE, ...desired.forward] }];
  const state: AppliedState = { chains: Object.fromEntries(wanted.map((c) => [c.name, chainHash(c.rules)])) };
  if (!live)
    return {
      script: desired.script,
      state,
      ...empty,
      added: desired.chainRules.map((c) => c.name),
      whole: 'create',
    };
  const T = `inet ${NETPOL_TABLE}`;
  const out: string[] = [];
  const plan: NetpolSyncPlan = { script: '', state, added: [], rewritten: [], removed: [], unchanged: [] };
  for (const set of [DROP_SET.ingress, DROP_SET.egress])
    if (!live.sets.includes(set)) out.push(`add set ${T} ${set} ${DROP_SET_SPEC}`);
  for (const c of desired.counters)
    if (!live.counters.includes(c.name)) out.push(`add counter ${T} ${c.name} { comment ${c.comment} }`);
  for (const c of wanted) {
    const isBase = c.name === FORWARD_CHAIN;
    const body = isBase ? c.rules.slice(1) : c.rules;
    const fill = body.map((r) => `add rule ${T} ${c.name} ${r}`);
    if (!(c.name in live.chains)) {
      out.push(isBase ? `add chain ${T} ${c.name} { ${FORWARD_TYPE} }` : `add chain ${T} ${c.name}`, ...fill);
      if (!isBase) plan.added.push(c.name);
    } else if (applied?.chains[c.name] !== state.chains[c.name] || live.chains[c.name] !== body.length) {
      out.push(`flush chain ${T} ${c.name}`, ...fill);
      if (!isBase) plan.rewritten.push(c.name);
    } else if (!isBase) plan.unchanged.push(c.name);
  }
  // Deletions last: the base chain no longer jumps to them, and no rule counts into them.
  const keep = new Set(wanted.map((c) => c.name));
  for (const name of Object.keys(live.chains).sort())
    if (!keep.has(name)) {
      out.push(`delete chain ${T} ${name}`);
      plan.removed.push(name);
    }
  const counters = new Set(desired.counters.map((c) => c.name));
  for (const name of [...live.counters].sort()) if (!counters.has(name)) out.push(`delete counter ${T} ${name}`);
  plan.script = out.length ? [`add table ${T}`, ...out].join('\n') + '\n' : '';
  return plan;
}
