/**
 * A pod inside its node: the CNI part (netns held open by `ip netns`, like the pause container;
 * veth eth0 <-> cbr0; host-local address; default route via cbr0) and the kubelet part
 * (each container a process in the pod's namespace, sharing localhost).
 */
import { LabModel, NodeModel, PodContainer, PodModel } from '../model/types';
import { LOG_DIR, prefixOf, RUN_DIR } from './node';
import { q } from './shell';

export function podMtu(model: LabModel): number {
  return model.cluster.cni === 'vxlan' ? model.cluster.mtu - 50 : model.cluster.mtu;
}

export function renderPodNetwork(model: LabModel, node: NodeModel, pod: PodModel): string[] {
  const ns = q(pod.netns);
  const mtu = podMtu(model);
  return [
    `# pod ${pod.namespace}/${pod.name}: ${pod.ip} via ${pod.hostVeth} on cbr0`,
    `ip netns add ${ns}`,
    `ip link add ${q(pod.hostVeth)} mtu ${mtu} type veth peer name eth0 netns ${ns}`,
    `ip -n ${ns} link set lo up`,
    `ip -n ${ns} addr add ${pod.ip}/${prefixOf(node.podCIDR)} dev eth0`,
    `ip -n ${ns} link set eth0 up`,
    `ip -n ${ns} route add default via ${node.cbr0IP} dev eth0`,
    `ip link set ${q(pod.hostVeth)} master cbr0 up`,
    // IPv6 off in pods too, so captures hold only the IPv4 paths the lab is about.
    `ip netns exec ${ns} sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6' 2>/dev/null || true`,
    `mkdir -p ${RUN_DIR}/pods/${ns}`,
  ];
}

/** The netexec command line of one container. */
export function netexecArgs(pod: PodModel, c: PodContainer): string[] {
  return [
    'netexec',
    `--name=${pod.name}`,
    `--http-port=${c.httpPort ?? 0}`,
    `--udp-port=${c.udpPort ?? 0}`,
    `--http-bind=${c.bind}`,
    `--udp-bind=${c.bind}`,
  ];
}

/** Starts one container as a process in the pod's namespace; its pid file lets the kubelet part watch it. */
export function renderContainerStart(pod: PodModel, c: PodContainer): string[] {
  const ns = q(pod.netns);
  const log = `${LOG_DIR}/pods/${pod.netns}_${c.name}.log`;
  const pidFile = `${RUN_DIR}/pods/${pod.netns}/${c.name}.pid`;
  const argv = netexecArgs(pod, c).map(q).join(' ');
  return [
    `POD_NAME=${q(pod.name)} setsid ip netns exec ${ns} ${argv} > ${q(log)} 2>&1 < /dev/null &`,
    `echo $! > ${q(pidFile)}`,
  ];
}

/** Waits until every serving container of the pod answers on its own address (readiness, like a probe). */
export function renderWaitReady(pod: PodModel, timeoutTenths = 100): string[] {
  const lines: string[] = [];
  for (const c of pod.containers) {
    if (!c.httpPort) continue;
    const addr = c.bind === '127.0.0.1' ? '127.0.0.1' : pod.ip;
    lines.push(
      `i=0; until ip netns exec ${q(pod.netns)} curl -fs -m 1 -o /dev/null http://${addr}:${c.httpPort}/healthz; do ` +
        `i=$((i+1)); if [ $i -ge ${timeoutTenths} ]; then echo "pod ${pod.name} container ${c.name} not ready" >&2; exit 1; fi; sleep 0.1; done`,
    );
  }
  return lines;
}

export function renderPod(model: LabModel, node: NodeModel, pod: PodModel): string[] {
  return [...renderPodNetwork(model, node, pod), ...pod.containers.flatMap((c) => renderContainerStart(pod, c))];
}

/** The node's whole bring-up: base, every pod's network and containers, then readiness. */
export function renderPodsOnNode(model: LabModel, node: NodeModel): string[] {
  const pods = model.pods.filter((p) => p.node === node.name);
  return [...pods.flatMap((p) => renderPod(model, node, p)), ...pods.flatMap((p) => renderWaitReady(p))];
}
