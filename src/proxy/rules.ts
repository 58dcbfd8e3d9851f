/**
 * What `lab rules NODE` shows: a node's kube-proxy state read with the tools a user would run
 * on a Kubernetes node (iptables-save, nft, ipvsadm, ipset). Pure: which commands, and the
 * filter that keeps only kube-proxy's chains of an iptables-save dump.
 */
import type { LabModel } from '../model/types';
import { NFT_TABLE } from './nftables';
import { NETPOL_TABLE } from '../netpol/nftables';

export interface RulesCommand {
  /** Heading printed above the output when there are several commands. */
  title: string;
  argv: string[];
  /** Keep only KUBE-* chains and the jumps into them (iptables-save output). */
  kubeOnly?: boolean;
}

function iptablesSave(model: LabModel, kubeOnly: boolean): RulesCommand {
  const bin = model.cluster.iptablesBackend === 'legacy' ? 'iptables-legacy-save' : 'iptables-nft-save';
  return { title: bin, argv: [bin], kubeOnly };
}

export function rulesCommands(model: LabModel, proxyOnly: boolean): RulesCommand[] {
  // The NetworkPolicy agent's table (src/netpol/nftables.ts): every rule names its policy.
  const netpol: RulesCommand[] = model.networkPolicies?.length
    ? [{ title: `nft list table inet ${NETPOL_TABLE}`, argv: ['nft', 'list', 'table', 'inet', NETPOL_TABLE] }]
    : [];
  return [...proxyRules(model, proxyOnly), ...netpol];
}

function proxyRules(model: LabModel, proxyOnly: boolean): RulesCommand[] {
  switch (model.cluster.proxy) {
    case 'iptables':
      return [iptablesSave(model, proxyOnly)];
    case 'nftables':
      return [
        proxyOnly
          ? { title: `nft list table ${NFT_TABLE}`, argv: ['nft', 'list', 'table', ...NFT_TABLE.split(' ')] }
          : { title: 'nft list ruleset', argv: ['nft', 'list', 'ruleset'] },
      ];
    case 'ipvs':
      return [
        { title: 'ipvsadm -Ln', argv: ['ipvsadm', '-Ln'] },
        { title: 'ipset list', argv: ['ipset', 'list'] },
        iptablesSave(model, proxyOnly),
      ];
  }
}

/**
 * An iptables-save dump cut down to kube-proxy's part: every table's KUBE-* chain declarations,
 * their rules, and the rules of other chains that jump into a KUBE-* chain. Tables left empty
 * and the save/restore comments are dropped.
 */
export function kubeChainsOnly(dump: string): string {
  const out: string[] = [];
  let table: string[] = [];
  let header = '';
  for (const line of dump.split('\n')) {
    if (line.startsWith('*')) {
      header = line;
      table = [];
    } else if (line === 'COMMIT') {
      if (table.length) out.push(header, ...table, 'COMMIT');
      header = '';
    } else if (/^:KUBE-/.test(line) || /^-A KUBE-/.test(line) || /^-A \S+ .*-j KUBE-/.test(line)) {
      table.push(line);
    }
  }
  return out.length ? out.join('\n') + '\n' : '';
}
