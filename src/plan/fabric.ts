/**
 * The fabric: every link is a veth pair created straight into the two containers' network
 * namespaces (as containerlab does), by a short-lived helper that sees the host's PIDs.
 */
import { LinkModel } from '../model/types';
import { q, script } from './shell';

/** Script for the helper: one `ip link add ... netns PID type veth peer ... netns PID` per link. */
export function renderLinkScript(links: LinkModel[], pids: Record<string, number>): string {
  return script(
    links.map((l) => {
      const pa = pids[l.a.container];
      const pb = pids[l.b.container];
      if (!pa || !pb) throw new Error(`no PID for ${!pa ? l.a.container : l.b.container}`);
      return `ip link add name ${q(l.a.iface)} netns ${pa} mtu ${l.mtu} type veth peer name ${q(l.b.iface)} netns ${pb} mtu ${l.mtu}`;
    }),
  );
}
