/**
 * A pod inside its node: the CNI part (netns held open by `ip netns`, like the pause container;
 * veth eth0 <-> cbr0; host-local address; default route via cbr0) and the kubelet part
 * (each container a process in the pod's namespace, sharing localhost).
 */
import { LabModel, NodeModel, PodContainer, PodModel } from '../model/types';
import { LOG_DIR, prefixOf, RUN_DIR } from './node';
import { q } from './shell';
import { renderDnsAlive, renderDnsReady, renderDnsStart, renderDnsWaitReady } from './dns-pod';
import { renderPodResolvConf } from './resolv';
import { podMtu, renderVpcNativePod, VPC_NATIVE_GATEWAY } from './cni';
import { DROP_SYS_ADMIN } from './security';
import { renderReadyOnce } from './probe';

export { podMtu };

export function renderPodNetwork(model: LabModel, node: NodeModel, pod: PodModel): string[] {
  const ns = q(pod.netns);
  const mtu = podMtu(model);
  if (model.cluster.cni === 'vpc-native') {
    return [
      `# pod ${pod.namespace}/${pod.name}: VPC address ${pod.ip}/32 via ${pod.hostVeth}, gateway ${VPC_NATIVE_GATEWAY}`,
      `ip netns add ${ns}`,
      ...renderVpcNativePod(pod, mtu),
      `ip netns exec ${ns} sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6' 2>/dev/null || true`,
      `mkdir -p ${RUN_DIR}/pods/${ns}`,
    ];
  }
  return [
    `# pod ${pod.namespace}/${pod.name}: ${pod.ip} via ${pod.hostVeth} on cbr0`,
    `ip netns add ${ns}`,
    `ip link add ${q(pod.hostVeth)} mtu ${mtu} type veth peer name eth0 netns ${ns}`,
    // `mtu` before `type veth` sets the host end only: the pod's end needs its own.
    `ip -n ${ns} link set eth0 mtu ${mtu}`,
    `ip -n ${ns} link set lo up`,
    `ip -n ${ns} addr add ${pod.ip}/${prefixOf(node.podCIDR)} dev eth0`,
    `ip -n ${ns} link set eth0 up`,
    `ip -n ${ns} route add default via ${node.cbr0IP} dev eth0`,
    `ip link set ${q(pod.hostVeth)} master cbr0 up`,
    // kubelet's hairpin-veth mode: a pod reaching itself through its Service VIP gets its frame
    // back out of the port it came in on (br_netfilter DNATs inside the bridge).
    `bridge link set dev ${q(pod.hostVeth)} hairpin on`,
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
  if (c.kind === 'dns') return renderDnsStart(pod, c);
  const ns = q(pod.netns);
  const log = `${LOG_DIR}/pods/${pod.netns}_${c.name}.log`;
  const pidFile = `${RUN_DIR}/pods/${pod.netns}/${c.name}.pid`;
  const argv = netexecArgs(pod, c).map(q).join(' ');
  return [
    // The pod's process never holds the node's CAP_SYS_ADMIN (src/plan/security.ts).
    `POD_NAME=${q(pod.name)} setsid ip netns exec ${ns} ${DROP_SYS_ADMIN.join(' ')} ${argv} > ${q(log)} 2>&1 < /dev/null &`,
    `echo $! > ${q(pidFile)}`,
  ];
}

/** Waits until every serving container of the pod answers on its own address (readiness, like a probe). */
export function renderWaitReady(pod: PodModel, timeoutTenths = 100): string[] {
  const lines: string[] = [];
  for (const c of pod.containers) {
    if (c.kind === 'dns') lines.push(...renderDnsWaitReady(pod, timeoutTenths));
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
  return [...renderPodNetwork(model, node, pod), ...renderPodResolvConf(model, pod), ...pod.containers.flatMap((c) => renderContainerStart(pod, c))];
}

/** A container pod runs in a Docker container of its own (src/lab/container-pods.ts), not as processes in the node. */
export function isContainerPod(pod: PodModel): boolean {
  return pod.containers.some((c) => c.kind === 'container');
}

/** Brings up the given pods of one node (all of its pods by default), then waits until they are ready. */
export function renderPodsOnNode(model: LabModel, node: NodeModel, only?: PodModel[]): string[] {
  const pods = (only ?? model.pods).filter((p) => p.node === node.name && !isContainerPod(p));
  return [...pods.flatMap((p) => renderPod(model, node, p)), ...pods.flatMap((p) => renderWaitReady(p))];
}

/** Deletes a pod as kubelet and the CNI DEL would: stop its processes, drop its namespace (and with it the veth pair). */
export function renderPodDelete(pod: PodModel): string[] {
  const dir = `${RUN_DIR}/pods/${pod.netns}`;
  return [
    `# delete pod ${pod.namespace}/${pod.name}`,
    `for f in ${q(dir)}/*.pid; do [ -e "$f" ] && kill $(cat "$f") 2>/dev/null; done; true`,
    `ip netns pids ${q(pod.netns)} 2>/dev/null | xargs -r kill -9 2>/dev/null || true`,
    `ip link del ${q(pod.hostVeth)} 2>/dev/null || true`,
    `ip netns del ${q(pod.netns)} 2>/dev/null || true`,
    `rm -rf ${q(dir)}`,
    `rm -rf ${q(`/etc/netns/${pod.netns}`)}`,
  ];
}

/**
 * One line per container of each pod: `<netns> <container> <alive 0|1> <ready 0|1|->`, where
 * ready is the answer of the server's /healthz (what a kubelet readiness probe asks).
 */
export function renderObservePods(pods: PodModel[], opts: { probes?: boolean } = {}): string[] {
  // Container pods are observed through the engine (src/lab/container-pods.ts).
  return pods.filter((p) => !isContainerPod(p)).flatMap((p) =>
    p.containers.map((c) => {
      const pidFile = `${RUN_DIR}/pods/${p.netns}/${c.name}.pid`;
      const addr = c.bind === '127.0.0.1' ? '127.0.0.1' : p.ip;
      if (c.kind === 'dns') return `if ${renderDnsAlive(p, c)}; then a=1; if ${renderDnsReady(p)}; then r=1; else r=0; fi; else a=0; r=0; fi; echo ${q(p.netns)} ${q(c.name)} $a $r`;
      // A container with a readiness (or startup) probe is ready when it passes (src/plan/probe.ts).
      const ready =
        (opts.probes === false ? undefined : renderReadyOnce(p, c)) ??
        (c.httpPort ? `if ip netns exec ${q(p.netns)} curl -fs -m 1 -o /dev/null http://${addr}:${c.httpPort}/healthz; then r=1; else r=0; fi` : 'r=-');
      return `if [ -e ${q(pidFile)} ] && kill -0 $(cat ${q(pidFile)}) 2>/dev/null; then a=1; ${ready}; else a=0; r=0; fi; echo ${q(p.netns)} ${q(c.name)} $a $r`;
    }),
  );
}

export interface ContainerObservation {
  netns: string;
  container: string;
  alive: boolean;
  /** undefined when the container serves no HTTP to probe. */
  ready?: boolean;
}

export function parseObservePods(out: string): ContainerObservation[] {
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 4)
    .map(([netns, container, a, r]) => ({ netns, container, alive: a === '1', ready: r === '-' ? undefined : r === '1' }));
}
