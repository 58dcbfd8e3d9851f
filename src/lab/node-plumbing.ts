/**
 * Whether a running node container still holds the links the model gave it. A node container the
 * engine restarted (`docker restart`, the engine restarting) runs again in a new, empty network
 * namespace: its veth to the VPC router and its pods' host veths died with the old one. Judged from
 * what the node's namespace lists (`ip -o link show`), against the model. Pure.
 */
import type { LabModel, NodeModel } from '../model/types';

/** Interface names in `ip -o link show` output (`2: eth0@if3: <…>` → eth0). */
export function linkNames(ipLinkShow: string): Set<string> {
  const names = new Set<string>();
  for (const l of ipLinkShow.split('\n')) {
    const m = /^\d+: ([^:@\s]+)/.exec(l);
    if (m) names.add(m[1]);
  }
  return names;
}

export interface NodePlumbing {
  /** Interfaces of the node's own links (eth0…) missing from its namespace. */
  missingLinks: string[];
  /** Pods (namespace/name) whose host veth is missing. */
  missingPods: string[];
  /** Pods (namespace/name) whose host veth is present. */
  plumbedPods: string[];
}

/** What of the model's links `ipLinkShow` (from the node's namespace) lacks. */
export function nodePlumbing(model: LabModel, node: NodeModel, ipLinkShow: string): NodePlumbing {
  const have = linkNames(ipLinkShow);
  const res: NodePlumbing = { missingLinks: [], missingPods: [], plumbedPods: [] };
  for (const l of model.links)
    for (const end of [l.a, l.b])
      if (end.container === node.container && !have.has(end.iface)) res.missingLinks.push(end.iface);
  for (const p of model.pods) {
    if (p.node !== node.name || !p.hostVeth) continue;
    (have.has(p.hostVeth) ? res.plumbedPods : res.missingPods).push(`${p.namespace}/${p.name}`);
  }
  return res;
}

/** What of the node's plumbing is missing, in words (`links eth0 missing`, `3 of 4 pod veths missing`); empty when whole. */
export function missingPlumbing(p: NodePlumbing): string[] {
  const what: string[] = [];
  if (p.missingLinks.length) what.push(`links ${p.missingLinks.join(',')} missing`);
  if (p.missingPods.length) {
    const total = p.missingPods.length + p.plumbedPods.length;
    what.push(`${p.missingPods.length} of ${total} pod veths missing`);
  }
  return what;
}

/** Pure: the status of a node whose container runs but which lacks `what`; undefined when nothing is. */
export function brokenStatus(what: string[]): string | undefined {
  return what.length ? `NotReady (broken: ${what.join(', ')}; lab up repairs it)` : undefined;
}

/** Pure: a node status for a node whose container runs but whose links are gone; undefined when nothing is missing. */
export function brokenNodeStatus(p: NodePlumbing): string | undefined {
  return brokenStatus(missingPlumbing(p));
}
