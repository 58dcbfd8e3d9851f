/**
 * kube-proxy's iptables mode, the ruleset as iptables-restore input: whole syncs, partial syncs
 * that rewrite only the changed service chains, stale chains deleted, and the chain names read
 * back from iptables-save.
 */
import type { IptablesBackend, LabModel } from '../model/types';
import type { EndpointSlice } from './endpoints';
import { SERVICE_CHAIN_PREFIXES } from './hash';
import { type IptablesChains, type IptablesOptions, type IptablesRuleset, buildIptablesRuleset } from './iptables';

export function isServiceChain(chain: string): boolean {
  return SERVICE_CHAIN_PREFIXES.some((p) => chain.startsWith(p));
}

/** Every chain name of a ruleset (what a later sync passes as previousChains). */
export function iptablesChainNames(r: IptablesRuleset): string[] {
  return [...Object.keys(r.filter), ...Object.keys(r.nat)];
}

/**
 * iptables-nft 1.8.7-1.8.9 remembers every chain a restore's commands name in a sorted linked list
 * (nft_cache_level_set -> cache_chain_list_insert): O(commands x chains), 90+ s of user time at
 * 10,000 services. One chain-less command makes it fetch every chain instead and skip the list;
 * `-Z` (zero the table's counters) is the only harmless one. Above this many declared chains the
 * nat section starts with it; the legacy backend has no such cache.
 */
export const NFT_CHAIN_LIST_LIMIT = 1000;

export interface RestoreOptions {
  /** Which iptables-restore reads the text (default nft). */
  backend?: IptablesBackend;
}

function writeTable(
  out: string[],
  table: string,
  chains: IptablesChains,
  include: (chain: string) => boolean,
  stale: string[],
  restore: RestoreOptions = {},
): void {
  out.push(`*${table}`);
  const names = Object.keys(chains).filter(include);
  if ((restore.backend ?? 'nft') === 'nft' && names.length + stale.length > NFT_CHAIN_LIST_LIMIT) out.push('-Z');
  // Declaring a chain in a --noflush restore flushes it; stale chains are flushed then deleted.
  for (const c of [...names, ...stale]) out.push(`:${c} - [0:0]`);
  for (const c of names) for (const r of chains[c]) out.push(r);
  for (const c of stale) out.push(`-X ${c}`);
  out.push('COMMIT');
}

function staleChains(current: IptablesChains, previous: Iterable<string>): string[] {
  const stale = new Set<string>();
  for (const c of previous) if (isServiceChain(c) && !(c in current)) stale.add(c);
  return [...stale].sort();
}

/** iptables-restore --noflush input for a full sync. */
export function serializeIptables(
  r: IptablesRuleset,
  previousChains: Iterable<string> = [],
  restore: RestoreOptions = {},
): string {
  const out: string[] = [];
  writeTable(out, 'filter', r.filter, () => true, [], restore);
  writeTable(out, 'nat', r.nat, () => true, staleChains(r.nat, previousChains), restore);
  return out.join('\n') + '\n';
}

/** Full sync text for one node (stale chains from opts.previousChains are deleted). */
export function renderIptables(
  model: LabModel,
  nodeName: string,
  slices: EndpointSlice[],
  opts: IptablesOptions = {},
): string {
  return serializeIptables(buildIptablesRuleset(model, nodeName, slices, opts), opts.previousChains ?? [], {
    backend: model.cluster.iptablesBackend,
  });
}

function sameRules(a: string[] | undefined, b: string[]): boolean {
  return !!a && a.length === b.length && a.every((r, i) => r === b[i]);
}

/**
 * Partial sync (kube-proxy's MinimizeIPTablesRestore): the filter table is always rewritten; nat
 * chains only when new or changed; chains gone since `prev` are flushed and deleted. Unchanged
 * chains are not mentioned, so --noflush keeps them. Unlike kube-proxy this also skips unchanged
 * top-level chains: rewriting KUBE-SERVICES (one rule per service) on an endpoint change is what
 * made a partial sync cost as much as a full one at 10,000 services.
 */
export function renderIptablesPartial(
  prev: IptablesRuleset,
  next: IptablesRuleset,
  restore: RestoreOptions = {},
): string {
  const out: string[] = [];
  writeTable(out, 'filter', next.filter, () => true, [], restore);
  writeTable(
    out,
    'nat',
    next.nat,
    (c) => !sameRules(prev.nat[c], next.nat[c]),
    staleChains(next.nat, Object.keys(prev.nat)),
    restore,
  );
  return out.join('\n') + '\n';
}

/** Names of the service chains a partial sync would rewrite (for reports and tests). */
export function changedServiceChains(prev: IptablesRuleset, next: IptablesRuleset): string[] {
  return Object.keys(next.nat).filter((c) => isServiceChain(c) && !sameRules(prev.nat[c], next.nat[c]));
}

/** Chain names declared in `iptables-save` output (to seed previousChains after a restart). */
export function parseIptablesSaveChains(save: string): string[] {
  return save
    .split('\n')
    .filter((l) => l.startsWith(':'))
    .map((l) => l.slice(1).split(' ')[0]);
}
