/**
 * kube-proxy's iptables mode, the jumps from the base chains into KUBE-* (see iptables.ts for why
 * they are not in the restore file): kube-proxy's iptablesJumpChains, inserted once each with
 * check-then-insert, and the iptables binaries per backend.
 */
import type { IptablesBackend } from '../model/types';
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
} from './iptables';

export interface JumpRule {
  table: 'filter' | 'nat';
  chain: string;
  target: string;
  comment: string;
  extra: string[];
}

const NEW = ['-m', 'conntrack', '--ctstate', 'NEW'];

/** kube-proxy's iptablesJumpChains plus the nat POSTROUTING jump. */
export const IPTABLES_JUMPS: JumpRule[] = [
  {
    table: 'filter',
    chain: 'INPUT',
    target: KUBE_EXTERNAL_SERVICES,
    comment: 'kubernetes externally-visible service portals',
    extra: NEW,
  },
  {
    table: 'filter',
    chain: 'FORWARD',
    target: KUBE_EXTERNAL_SERVICES,
    comment: 'kubernetes externally-visible service portals',
    extra: NEW,
  },
  {
    table: 'filter',
    chain: 'INPUT',
    target: KUBE_NODEPORTS,
    comment: 'kubernetes health check service ports',
    extra: [],
  },
  { table: 'filter', chain: 'FORWARD', target: KUBE_SERVICES, comment: 'kubernetes service portals', extra: NEW },
  { table: 'filter', chain: 'OUTPUT', target: KUBE_SERVICES, comment: 'kubernetes service portals', extra: NEW },
  { table: 'filter', chain: 'FORWARD', target: KUBE_FORWARD, comment: 'kubernetes forwarding rules', extra: [] },
  {
    table: 'filter',
    chain: 'INPUT',
    target: KUBE_PROXY_FIREWALL,
    comment: 'kubernetes load balancer firewall',
    extra: NEW,
  },
  {
    table: 'filter',
    chain: 'OUTPUT',
    target: KUBE_PROXY_FIREWALL,
    comment: 'kubernetes load balancer firewall',
    extra: NEW,
  },
  {
    table: 'filter',
    chain: 'FORWARD',
    target: KUBE_PROXY_FIREWALL,
    comment: 'kubernetes load balancer firewall',
    extra: NEW,
  },
  { table: 'nat', chain: 'OUTPUT', target: KUBE_SERVICES, comment: 'kubernetes service portals', extra: [] },
  { table: 'nat', chain: 'PREROUTING', target: KUBE_SERVICES, comment: 'kubernetes service portals', extra: [] },
  { table: 'nat', chain: 'POSTROUTING', target: KUBE_POSTROUTING, comment: 'kubernetes postrouting rules', extra: [] },
  // iptablesKubeletJumpChains: no comment, as kubelet writes them (kubelet_network_linux.go).
  { table: 'filter', chain: 'INPUT', target: KUBE_FIREWALL, comment: '', extra: [] },
  { table: 'filter', chain: 'OUTPUT', target: KUBE_FIREWALL, comment: '', extra: [] },
];

export function iptablesBinary(backend: IptablesBackend): string {
  return backend === 'legacy' ? 'iptables-legacy' : 'iptables-nft';
}

export function iptablesRestoreBinary(backend: IptablesBackend): string {
  return backend === 'legacy' ? 'iptables-legacy-restore' : 'iptables-nft-restore';
}

/** Per-service chains: not needed to decide which base-chain jumps exist (and 30k lines at 10k services). */
const SAVE_FILTER = "grep -vE '^-A KUBE-|^:KUBE-(SVC|SVL|EXT|FW|SEP)-' || true";

/**
 * Shell lines that create the jump chains and insert each base-chain jump once (idempotent).
 * nft backend: `-C ... || -I ...` per jump (each call reads only the chains it names).
 * legacy backend: every iptables-legacy call copies the whole table out of the kernel (~0.5 s at
 * 10,000 services), so each table is saved once and its lines are looked up in that copy; a miss
 * still goes through `-C` before `-I`, so a formatting difference costs time, never a duplicate.
 */
export function renderIptablesBootstrap(backend: IptablesBackend, jumps: JumpRule[] = IPTABLES_JUMPS): string[] {
  const ipt = iptablesBinary(backend);
  const legacy = backend === 'legacy';
  const lines: string[] = [];
  const created = new Set<string>();
  const saved = new Set<string>();
  const saveVar = (table: string) => `KUBE_SAVE_${table}`;
  const inSave = (table: string, grep: string) => `printf '%s\\n' "$${saveVar(table)}" | ${grep}`;
  for (const j of jumps) {
    if (legacy && !saved.has(j.table)) {
      saved.add(j.table);
      lines.push(`${saveVar(j.table)}=$(iptables-legacy-save -t ${j.table} | ${SAVE_FILTER})`);
    }
    const key = `${j.table}/${j.target}`;
    if (!created.has(key)) {
      created.add(key);
      const create = `${ipt} -w -t ${j.table} -N ${j.target} 2>/dev/null || true`;
      lines.push(legacy ? `${inSave(j.table, `grep -q '^:${j.target} '`)} || ${create}` : create);
    }
    const comment = j.comment ? ['-m', 'comment', '--comment', `"${j.comment}"`] : [];
    const spec = [...j.extra, ...comment, '-j', j.target].join(' ');
    const ensure = `${ipt} -w -t ${j.table} -C ${j.chain} ${spec} 2>/dev/null || ${ipt} -w -t ${j.table} -I ${j.chain} ${spec}`;
    lines.push(legacy ? `${inSave(j.table, `grep -qxF -- '-A ${j.chain} ${spec}'`)} || ${ensure}` : ensure);
  }
  return lines;
}
