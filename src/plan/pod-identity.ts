/**
 * A pod's own identity as the kubelet gives it (Kubernetes v1.30, pkg/kubelet/kubelet_pods.go):
 * its hostname in a UTS namespace of its own (GeneratePodHostNameAndDomain: spec.hostname, else
 * the pod name cut to 63 characters without a trailing '-' or '.'; spec.subdomain makes the domain
 * <subdomain>.<namespace>.svc.<cluster domain>) and the /etc/hosts it mounts into every container
 * (managedHostsFileContent, hostsEntriesFromHostAliases). See docs/reference/pod-identity.md.
 * Pure: names, file text and the lines that make them in the node.
 */
import type { LabModel, PodModel } from '../model/types';
import { RUN_DIR } from './node';
import { q } from './shell';

/** truncatePodHostnameIfNeeded: at most 63 characters, no trailing '-' or '.'. */
function truncateHostname(h: string): string {
  return h.length <= 63 ? h : h.slice(0, 63).replace(/[-.]+$/, '');
}

/** The pod's hostname (what `hostname` prints inside it). */
export function podHostname(pod: Pick<PodModel, 'name' | 'hostname'>): string {
  return truncateHostname(pod.hostname || pod.name);
}

/** The pod's domain: `<subdomain>.<namespace>.svc.<domain>` with spec.subdomain, else none. */
export function podHostDomain(
  model: Pick<LabModel, 'cluster'>,
  pod: Pick<PodModel, 'namespace' | 'subdomain'>,
): string | undefined {
  return pod.subdomain ? `${pod.subdomain}.${pod.namespace}.svc.${model.cluster.domain}` : undefined;
}

/** The kubelet's managed /etc/hosts of a pod (not hostNetwork). */
export function renderEtcHosts(model: Pick<LabModel, 'cluster'>, pod: PodModel): string {
  const host = podHostname(pod);
  const domain = podHostDomain(model, pod);
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    domain ? `${pod.ip}\t${host}.${domain}\t${host}` : `${pod.ip}\t${host}`,
  ];
  const aliases = pod.hostAliases ?? [];
  if (aliases.length)
    lines.push('', '# Entries added by HostAliases.', ...aliases.map((a) => `${a.ip}\t${a.hostnames.join('\t')}`));
  return lines.join('\n') + '\n';
}

/**
 * Engine ExtraHosts for a container pod: the kubelet's pod and HostAliases lines, added to the
 * localhost lines Docker writes itself (a container pod's /etc/hosts is the engine's file).
 */
export function containerExtraHosts(model: Pick<LabModel, 'cluster'>, pod: PodModel): string[] {
  const host = podHostname(pod);
  const domain = podHostDomain(model, pod);
  return [
    `${domain ? `${host}.${domain} ${host}` : host}:${pod.ip}`,
    ...(pod.hostAliases ?? []).map((a) => `${a.hostnames.join(' ')}:${a.ip}`),
  ];
}

/** Where the node holds the pod's UTS namespace open (bind mount of the namespace file, as `ip netns` does for the network one). */
export function utsPath(pod: Pick<PodModel, 'netns'>): string {
  return `${RUN_DIR}/uts/${pod.netns}`;
}

/** The node's command prefix that enters the pod: its UTS namespace, then its network namespace (with /etc/netns/<netns>/* over /etc). */
export function podEnter(pod: Pick<PodModel, 'netns'>): string[] {
  return ['nsenter', `--uts=${utsPath(pod)}`, 'ip', 'netns', 'exec', pod.netns];
}

/** Lines (in the node) that make a process pod's UTS namespace with its hostname, and its /etc/hosts for `ip netns exec`. */
export function renderPodIdentity(model: LabModel, pod: PodModel): string[] {
  const uts = utsPath(pod);
  return [
    `mkdir -p ${RUN_DIR}/uts && : > ${q(uts)}`,
    `unshare --uts=${q(uts)} hostname ${q(podHostname(pod))}`,
    ...renderPodEtcHosts(model, pod),
  ];
}

/** Lines (in the node) that write the pod's /etc/hosts where `ip netns exec` bind-mounts it over /etc/hosts. */
export function renderPodEtcHosts(model: LabModel, pod: PodModel): string[] {
  const dir = `/etc/netns/${pod.netns}`;
  return [`mkdir -p ${q(dir)}`, `printf '%s' ${q(renderEtcHosts(model, pod))} > ${q(`${dir}/hosts`)}`];
}

/** Lines (in the node) that release the pod's UTS namespace. */
export function renderPodIdentityDelete(pod: Pick<PodModel, 'netns'>): string[] {
  const uts = utsPath(pod);
  return [`umount ${q(uts)} 2>/dev/null || true`, `rm -f ${q(uts)}`];
}
