/**
 * A pod's /etc/resolv.conf, as the kubelet writes it: for a process pod the file goes to
 * /etc/netns/<netns>/resolv.conf in the node, which `ip netns exec` bind-mounts over
 * /etc/resolv.conf for every process of the pod; a container pod gets the same lines through the
 * engine's DNS options (see resolvOptions).
 */
import type { LabModel, PodModel } from '../model/types';
import { parseUpstream, renderResolvConf } from '../dns/config';
import { q } from './shell';

/** The node's resolvers as pods with dnsPolicy Default see them: the lab's Internet DNS, if any. */
function hostNameservers(model: LabModel): string[] {
  if (!model.internetDns) return [];
  try {
    return [parseUpstream(model.internetDns).ip];
  } catch {
    return [];
  }
}

/**
 * The pod's resolv.conf text, or undefined when the node's own file applies (ClusterFirst in a
 * lab without cluster DNS: the kubelet then falls back to the node's resolver, like Default).
 */
export function podResolvConf(model: LabModel, pod: PodModel): string | undefined {
  const policy = pod.dnsPolicy ?? 'ClusterFirst';
  if (model.cluster.dns === false && (policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet'))
    return undefined;
  return renderResolvConf(model, pod, undefined, { hostNameservers: hostNameservers(model) });
}

export function netnsEtcDir(pod: Pick<PodModel, 'netns'>): string {
  return `/etc/netns/${pod.netns}`;
}

/** Lines (run in the node) that write the process pod's resolv.conf for `ip netns exec`. */
export function renderPodResolvConf(model: LabModel, pod: PodModel): string[] {
  const text = podResolvConf(model, pod);
  if (text === undefined) return [];
  const dir = netnsEtcDir(pod);
  return [`mkdir -p ${q(dir)}`, `printf '%s' ${q(text)} > ${q(`${dir}/resolv.conf`)}`];
}

/** Engine DNS options (HostConfig Dns/DnsSearch/DnsOptions) carrying the same resolv.conf. */
export function resolvOptions(text: string): { servers: string[]; search: string[]; options: string[] } {
  const out = { servers: [] as string[], search: [] as string[], options: [] as string[] };
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.servers.push(rest[0]);
    else if (key === 'search') out.search.push(...rest);
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}
