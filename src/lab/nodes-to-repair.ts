/**
 * Which running nodes `lab up` must repair, judged from what is observed in the lab against the
 * model (never from a mark the lab wrote itself): the node's links and pod veths in its namespace,
 * read and judged as `lab status` does (src/lab/node-plumbing.ts), and the node's port on the VPC
 * router. A port that is gone: the node container was restarted (a new, empty namespace), re-plumb
 * it. A port that is there while the node lacks links or pod veths, or that is down with no
 * `link-down` fault asking for it: a set-up left half-done (a `lab up` or `lab watch` repair killed
 * before its last step, which takes the port up). What it did in the node's namespace cannot be
 * redone in place (cbr0, addresses, CNI state are created, not replaced), so that node is restarted
 * first, as a rebooted node, and then re-plumbed like any restarted one. Pure.
 */
import type { LabModel, NodeModel } from '../model/types';
import { missingPlumbing, nodePlumbing } from './node-plumbing';

export type VpcPort = 'missing' | 'down' | 'up';

/**
 * Pure: the state of the router's port `iface` in its `ip -o link show`; undefined when the output
 * is no link list (no `lo`: the exec failed), so that no node is judged from nothing.
 */
export function vpcPortState(vpcLinks: string, iface: string): VpcPort | undefined {
  if (!/^\d+: lo:/m.test(vpcLinks)) return undefined;
  const re = new RegExp(`^\\d+: ${iface.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(@\\S+)?:`);
  const line = vpcLinks.split('\n').find((l) => re.test(l));
  if (!line) return 'missing';
  // Admin state: `<BROADCAST,MULTICAST>` has no UP flag (a port set down); LOWER_UP is the carrier.
  return (/<([^>]*)>/.exec(line)?.[1].split(',') ?? []).includes('UP') ? 'up' : 'down';
}

export interface NodesObserved {
  /** `ip -o link show` in the namespace of each node whose container runs; a node not here is not judged. */
  nodeLinks: ReadonlyMap<string, string>;
  /** `ip -o link show` in the VPC router. */
  vpcLinks: string;
  /** Nodes with an active `link-down` fault: their port is down on purpose. */
  linkDownFaults: ReadonlySet<string>;
}

export interface NodeToRepair {
  node: NodeModel;
  /** Restart the container first: its port is there, so a set-up was left half-done in its namespace. */
  restart: boolean;
  /** What was observed, in words. */
  why: string[];
}

/** Pure: the nodes to repair, each with what was observed and how. */
export function nodesToRepair(model: LabModel, seen: NodesObserved): NodeToRepair[] {
  const out: NodeToRepair[] = [];
  for (const node of model.nodes) {
    const links = seen.nodeLinks.get(node.name);
    const port = vpcPortState(seen.vpcLinks, node.vpcIface);
    if (links === undefined || port === undefined) continue;
    if (port === 'missing') {
      out.push({ node, restart: false, why: [`no port ${node.vpcIface} on the VPC router`] });
      continue;
    }
    const why = missingPlumbing(nodePlumbing(model, node, links));
    if (port === 'down' && !seen.linkDownFaults.has(node.name))
      why.push(`port ${node.vpcIface} down on the VPC router with no link-down fault`);
    if (why.length) out.push({ node, restart: true, why });
  }
  return out;
}
