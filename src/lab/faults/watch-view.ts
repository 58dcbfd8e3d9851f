/**
 * What `lab watch` must know of the active faults each iteration, read with one exec in the VPC
 * router: the fault records (proxy-stuck: that node's kube-proxy does not sync) and the state of
 * every node's link on the router (link-down: observed DOWN, so the node's kubelet cannot reach
 * the control plane and its heartbeat stops, as a node cut from the API server in Kubernetes).
 */
import type { LabModel } from '../../model/types';
import { exec } from '../../runtime/exec';
import { FAULTS_PATH, FaultStore } from './store';

export interface FaultView {
  /** Nodes whose kube-proxy is stuck (proxy-stuck), with the fault id. */
  stuck: Map<string, string>;
  /** Nodes whose link is observed down on the VPC router, with why. */
  linkDown: Map<string, string>;
  /** Nodes whose port on the VPC router is gone altogether (their container restarted): also in linkDown. */
  unplumbed: Set<string>;
}

const SEP = '---K8S-NETLAB-LINKS---';

export const FAULT_VIEW_SCRIPT = `cat ${FAULTS_PATH} 2>/dev/null; echo '${SEP}'; ip -o link show`;

/** Pure: the fault store and `ip -o link show` of the VPC router → the view. */
export function parseFaultView(stdout: string, model: LabModel): FaultView {
  const [json, links = ''] = stdout.split(SEP);
  const view: FaultView = { stuck: new Map(), linkDown: new Map(), unplumbed: new Set() };
  let store: FaultStore | undefined;
  try {
    store = json.trim() ? (JSON.parse(json) as FaultStore) : undefined;
  } catch {
    store = undefined; // being rewritten (the store is replaced by a rename, so this is rare): next iteration
  }
  for (const f of store?.active ?? []) if (f.kind === 'proxy-stuck') view.stuck.set(f.target, f.id);
  for (const n of model.nodes) {
    // `12: v-node2@if3: <BROADCAST,MULTICAST> mtu 1500 ... state DOWN`: admin down has no UP flag.
    const line = links.split('\n').find((l) => new RegExp(`^\\d+: ${n.vpcIface}(@\\S+)?:`).test(l));
    if (!line) {
      // The router's port of the node is gone: its container was restarted (new network namespace, no links).
      if (/^\d+: lo:/m.test(links)) {
        view.unplumbed.add(n.name);
        view.linkDown.set(
          n.name,
          `no link ${n.vpcIface} on the VPC router: node container restarted, unplumbed (lab watch or lab up re-plumbs it)`,
        );
      }
      continue;
    }
    const flags = /<([^>]*)>/.exec(line)?.[1].split(',') ?? [];
    if (!flags.includes('UP'))
      view.linkDown.set(
        n.name,
        `link ${n.vpcIface} down on the VPC router: the kubelet cannot reach the control plane`,
      );
  }
  return view;
}

export async function readFaultView(model: LabModel): Promise<FaultView> {
  const r = await exec(model.vpc.container, ['sh', '-c', FAULT_VIEW_SCRIPT]);
  return parseFaultView(r.stdout, model);
}
