/**
 * The NetworkPolicy agent's sync: render every node's table (src/netpol/nftables.ts, pure) and
 * load it with one `nft -f` per node, which replaces the table in a single transaction, so no
 * packet sees a half-applied policy set. A lab that never had a policy is left untouched.
 */
import type { LabModel } from '../model/types';
import { NETPOL_REMOVE, renderNetpol } from '../netpol/nftables';
import { execScriptOk } from '../runtime/exec';
import { q } from '../plan/shell';

export const NETPOL_FILE = '/run/k8s-netlab/netpol.nft';

export interface NetpolSync {
  node: string;
  chains: number;
  rules: number;
  ms: number;
}

/** The script that writes the node's rules and loads them (or removes the table when there are none). */
export function renderNetpolApply(text: string): string {
  const content = text || NETPOL_REMOVE;
  let tag = 'K8S_NETLAB_NETPOL';
  while (content.includes(tag)) tag += '_';
  return ['set -eu', `mkdir -p ${q(NETPOL_FILE.replace(/\/[^/]*$/, ''))}`, `cat > ${q(NETPOL_FILE)} <<'${tag}'`, content.replace(/\n?$/, ''), tag, `nft -f ${q(NETPOL_FILE)}`].join('\n') + '\n';
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
      await execScriptOk(n.container, renderNetpolApply(r.script), `network policy sync on ${n.name}`);
      return { node: n.name, chains: r.chains.length, rules: r.rules, ms: Date.now() - t0 };
    }),
  );
}
