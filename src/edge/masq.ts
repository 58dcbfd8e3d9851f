/**
 * Egress masquerade on the nodes, as ip-masq-agent does it: traffic to the pod CIDR and the VPC
 * keeps the pod IP; everything else (the Internet) leaves as the node's address.
 */
import type { LabModel, NodeModel } from '../model/types';
import { writeFileLines } from '../plan/shell';
import { EDGE_DIR, restoreWithJumps } from './common';

export const IP_MASQ_CHAIN = 'IP-MASQ-AGENT';

/** ip-masq-agent's nonMasqueradeCIDRs for this lab: the pod CIDR and every VPC subnet. */
export function nonMasqueradeCidrs(model: LabModel): string[] {
  return [model.cluster.podCIDR, ...model.subnets.map((s) => s.cidr)];
}

/** The chain with ip-masq-agent's own comments. */
export function renderIpMasqRules(model: LabModel): string {
  return [
    '*nat',
    `:${IP_MASQ_CHAIN} - [0:0]`,
    ...nonMasqueradeCidrs(model).map(
      (c) =>
        `-A ${IP_MASQ_CHAIN} -d ${c} -m comment --comment "ip-masq-agent: local traffic is not subject to MASQUERADE" -j RETURN`,
    ),
    `-A ${IP_MASQ_CHAIN} -m comment --comment "ip-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)" -j MASQUERADE`,
    'COMMIT',
    '',
  ].join('\n');
}

export function renderIpMasqAgent(model: LabModel, node: NodeModel): string[] {
  const file = `${EDGE_DIR}/ip-masq-agent.rules`;
  return [
    `# ${node.name}: ip-masq-agent (pod traffic to the Internet leaves as ${node.ip})`,
    ...writeFileLines(file, renderIpMasqRules(model), { mkdir: true }),
    ...restoreWithJumps(model.cluster.iptablesBackend, file, [
      {
        table: 'nat',
        chain: 'POSTROUTING',
        spec: `-m comment --comment "ip-masq-agent: ensure nat POSTROUTING directs all non-LOCAL destination traffic to our custom IP-MASQ-AGENT chain" -m addrtype ! --dst-type LOCAL -j ${IP_MASQ_CHAIN}`,
      },
    ]),
  ];
}
