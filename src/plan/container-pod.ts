/**
 * Container pods: a pod whose container is a real Docker container of its own image (network
 * mode none). The fabric helper (host PID namespace) bind-mounts the container's network
 * namespace into the node container as /run/netns/<netns>, the same name a process pod's
 * namespace has; from then on the node plumbs it with the very lines of a process pod (veth to
 * cbr0 or the CNI's layout, address, default route), and `ip netns exec <netns>` in the node, which
 * probes and `lab exec` use, runs the node's tools inside the pod's network namespace, so images
 * without a shell or ip work. Pure: names, specs and scripts.
 */
import type { LabModel, NodeModel, PodContainer, PodModel } from '../model/types';
import { LABEL_NODE } from '../model/types';
import type { ContainerSpec } from './container-spec';
import { renderPodNetwork, renderPodDelete } from './pod';
import { podResolvConf, renderPodResolvConf, resolvOptions } from './resolv';
import { q, script } from './shell';
import { privilegesFor } from './security';
import { coreDnsBinds, isCoreDnsPod } from './coredns-pod';
import { containerExtraHosts, podHostname, renderPodEtcHosts, utsPath } from './pod-identity';

export const LABEL_POD = 'k8s-netlab.pod';

/** Docker name of a container pod: <prefix>-<lab>-pod-<ns>-<name> (cut to the engine's limit). */
export function containerPodName(model: LabModel, pod: Pick<PodModel, 'namespace' | 'name'>): string {
  return `${model.prefix}-${model.name}-pod-${pod.namespace}-${pod.name}`.slice(0, 200);
}

export function podContainer(pod: PodModel): PodContainer {
  const c = pod.containers.find((x) => x.kind === 'container');
  if (!c) throw new Error(`pod ${pod.namespace}/${pod.name} is not a container pod`);
  return c;
}

/** The engine spec: the user's image with Docker's default privileges, no network, the pod's resolv.conf. */
export function containerPodSpec(model: LabModel, pod: PodModel): ContainerSpec {
  const c = podContainer(pod);
  const resolv = podResolvConf(model, pod);
  return {
    name: containerPodName(model, pod),
    image: c.image,
    hostname: podHostname(pod),
    // The kubelet's /etc/hosts lines for the pod (and its hostAliases), on the engine's own file.
    extraHosts: containerExtraHosts(model, pod),
    lab: model.name,
    role: 'pod',
    labels: { [LABEL_NODE]: pod.node, [LABEL_POD]: `${pod.namespace}/${pod.name}` },
    privileges: privilegesFor('pod'),
    sysctls: {},
    cmd: c.args ?? [],
    imageCmd: c.args === undefined,
    ...(c.command ? { entrypoint: c.command } : {}),
    ...(c.env ? { env: c.env } : {}),
    ...(resolv !== undefined ? { dns: resolvOptions(resolv) } : {}),
    // A CoreDNS pod reads its Corefile and zones from the host (src/plan/coredns-pod.ts), read-only.
    ...(isCoreDnsPod(pod) ? { binds: coreDnsBinds(model, pod) } : {}),
  };
}

/**
 * Helper script: hands the container's netns (by PID) to the node as /run/netns/<netns>. The
 * namespace file is opened here, where the host PIDs are visible, and bind-mounted from inside the
 * node's mount and PID namespaces through the inherited descriptor.
 */
export function renderAttachNetns(pod: Pick<PodModel, 'netns'>, podPid: number, nodePid: number): string {
  const target = `/run/netns/${pod.netns}`;
  // The UTS namespace too (the container's hostname), where the node keeps process pods' ones.
  const uts = utsPath(pod);
  const dir = uts.slice(0, uts.lastIndexOf('/'));
  return script([
    `exec 3< /proc/${podPid}/ns/net`,
    `exec 4< /proc/${podPid}/ns/uts`,
    `nsenter -t ${nodePid} -m -p -- sh -c ${q(
      `mkdir -p /run/netns ${dir} && rm -f ${target} ${uts} && : > ${target} && mount --bind /proc/self/fd/3 ${target} && : > ${uts} && mount --bind /proc/self/fd/4 ${uts}`,
    )}`,
  ]);
}

/** Lines run in the node once the namespace is attached: the process pod's plumbing without `ip netns add`. */
export function renderContainerPodNetwork(model: LabModel, node: NodeModel, pod: PodModel): string[] {
  // The resolv.conf also goes to /etc/netns/<netns>, so `lab exec` into the pod resolves as the pod does.
  return [
    ...renderPodNetwork(model, node, pod).filter((l) => !/^ip netns add /.test(l)),
    ...renderPodResolvConf(model, pod),
    ...renderPodEtcHosts(model, pod),
  ];
}

/** Lines run in the node when the container pod goes away or restarts: its veth and the namespace mount. */
export function renderContainerPodDetach(model: LabModel, pod: PodModel): string[] {
  return renderPodDelete(model, pod);
}
