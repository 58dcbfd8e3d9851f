/**
 * kube-proxy's nftables mode, the state as `nft -f` text (see nftables.ts for the layout): a full
 * sync re-creates the table in one transaction, an incremental one applies only the differences.
 */
import type { LabModel } from '../model/types';
import type { EndpointSlice } from './endpoints';
import {
  FIXED_CONTAINERS,
  NFT_TABLE,
  type NftChain,
  type NftElement,
  type NftOptions,
  type NftState,
  buildNftState,
} from './nftables';

function chainDecl(name: string, c: NftChain): string {
  const props = [c.base, c.comment ? `comment "${c.comment}" ;` : ''].filter(Boolean).join(' ');
  return `add chain ${NFT_TABLE} ${name}${props ? ` { ${props} }` : ''}`;
}

function setDecl(name: string, timeout: number): string {
  return `add set ${NFT_TABLE} ${name} { type ipv4_addr ; flags dynamic,timeout ; timeout ${timeout}s ; }`;
}

function elementText(key: string, e: NftElement): string {
  return `${key}${e.comment ? ` comment "${e.comment}"` : ''}${e.value ? ` : ${e.value}` : ''}`;
}

function addElement(container: string, key: string, e: NftElement): string {
  return `add element ${NFT_TABLE} ${container} { ${elementText(key, e)} }`;
}

function addRules(out: string[], name: string, c: NftChain): void {
  for (const r of c.rules) out.push(`add rule ${NFT_TABLE} ${name} ${r}`);
}

/** `nft -f` input for a full sync: drop and re-create the table atomically. */
export function serializeNft(state: NftState): string {
  const out: string[] = [
    `add table ${NFT_TABLE}`,
    `delete table ${NFT_TABLE}`,
    `add table ${NFT_TABLE} { comment "rules for kube-proxy" ; }`,
  ];
  for (const c of FIXED_CONTAINERS) out.push(`add ${c.split(' ')[0]} ${NFT_TABLE} ${c.slice(c.indexOf(' ') + 1)}`);
  for (const [name, t] of Object.entries(state.affinitySets)) out.push(setDecl(name, t));
  for (const [name, c] of Object.entries(state.chains)) out.push(chainDecl(name, c));
  for (const [name, c] of Object.entries(state.chains)) addRules(out, name, c);
  for (const [container, elems] of Object.entries(state.elements)) {
    for (const [key, e] of Object.entries(elems)) out.push(addElement(container, key, e));
  }
  return out.join('\n') + '\n';
}

export function renderNftables(
  model: LabModel,
  nodeName: string,
  slices: EndpointSlice[],
  opts: NftOptions = {},
): string {
  return serializeNft(buildNftState(model, nodeName, slices, opts));
}

function sameChain(a: NftChain | undefined, b: NftChain): boolean {
  return !!a && a.base === b.base && a.rules.length === b.rules.length && a.rules.every((r, i) => r === b.rules[i]);
}

function sameElement(a: NftElement | undefined, b: NftElement): boolean {
  return !!a && a.value === b.value && a.comment === b.comment;
}

/**
 * `nft -f` input moving a node from `prev` to `next` in one transaction. Order matters inside
 * the transaction: elements pointing at chains go before the chains, rules referencing sets and
 * chains are flushed before those are deleted, and everything referenced exists before it is used.
 * Returns an empty string when nothing changed.
 */
export function renderNftablesIncremental(prev: NftState, next: NftState): string {
  const changedSets = new Set(
    Object.keys(next.affinitySets).filter(
      (s) => s in prev.affinitySets && prev.affinitySets[s] !== next.affinitySets[s],
    ),
  );
  const staleSets = Object.keys(prev.affinitySets).filter((s) => !(s in next.affinitySets));
  const newSets = Object.keys(next.affinitySets).filter((s) => !(s in prev.affinitySets));
  const refsChangedSet = (c: NftChain) =>
    changedSets.size > 0 && c.rules.some((r) => [...changedSets].some((s) => r.includes(`@${s} `)));
  const newChains = Object.keys(next.chains).filter((c) => !(c in prev.chains));
  const changedChains = Object.keys(next.chains).filter(
    (c) => c in prev.chains && (!sameChain(prev.chains[c], next.chains[c]) || refsChangedSet(next.chains[c])),
  );
  const staleChains = Object.keys(prev.chains).filter((c) => !(c in next.chains));

  const out: string[] = [];
  // 1. elements that go away or change value
  const addElems: string[] = [];
  const containers = new Set([...Object.keys(prev.elements), ...Object.keys(next.elements)]);
  for (const container of containers) {
    const p = prev.elements[container] ?? {};
    const n = next.elements[container] ?? {};
    for (const key of Object.keys(p)) {
      if (!(key in n) || !sameElement(p[key], n[key])) out.push(`delete element ${NFT_TABLE} ${container} { ${key} }`);
    }
    for (const [key, e] of Object.entries(n)) if (!sameElement(p[key], e)) addElems.push(addElement(container, key, e));
  }
  // 2. flush what is rewritten or removed (drops their references to chains and sets)
  for (const c of [...changedChains, ...staleChains]) out.push(`flush chain ${NFT_TABLE} ${c}`);
  // 3. delete stale chains and sets; re-create sets whose timeout changed
  for (const c of staleChains) out.push(`delete chain ${NFT_TABLE} ${c}`);
  for (const s of [...staleSets, ...changedSets]) out.push(`delete set ${NFT_TABLE} ${s}`);
  // 4. new sets and chains, 5. their rules, 6. new elements
  for (const s of [...newSets, ...changedSets]) out.push(setDecl(s, next.affinitySets[s]));
  for (const c of newChains) out.push(chainDecl(c, next.chains[c]));
  for (const c of [...changedChains, ...newChains]) addRules(out, c, next.chains[c]);
  out.push(...addElems);
  return out.length ? out.join('\n') + '\n' : '';
}
