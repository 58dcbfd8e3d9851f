/**
 * A pod inside its node: the runtime part (a network namespace held open by `ip netns`, like the
 * pause container's), the CNI part (the node's network configuration run by the reference
 * plugins through images/cni/cni-exec.py, as kubelet's runtime does: loopback, then the pod
 * network on eth0) and the kubelet part (each container a process in the pod's namespace,
 * sharing localhost).
 */
import { LabModel, NodeModel, PodContainer, PodModel } from '../model/types';
import { LOG_DIR, RUN_DIR } from './node';
import { heredoc, q, WAIT_TIMEOUT_SEC, waitUntil } from './shell';
import { renderDnsAlive, renderDnsReady, renderDnsStart, renderDnsWaitReady } from './dns-pod';
import { renderPodResolvConf } from './resolv';
import { podMtu } from './cni';
import { DROP_SYS_ADMIN } from './security';
import { renderReadyOnce } from './probe';
import { podEnter, renderPodIdentity, renderPodIdentityDelete } from './pod-identity';
import { cniArgs, cniNetwork, CNI_BIN_DIR, CNI_EXEC, LOOPBACK_CONF, sandboxId } from './cni-config';
import { renderStaticNeighbourDelete, renderStaticNeighbours } from './static-neigh';
import { renderJobs } from './jobs';

export { podMtu };

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

/**
 * One run of images/cni/cni-exec.py for many pods of a node (--batch): each pod's attachments
 * (ADD: loopback on lo, then the node's network on eth0; DEL: eth0, then lo; CHECK: eth0), each
 * run by the spec, pods concurrently, as a kubelet starts several pod sandboxes at once. One
 * runtime process per node instead of two per pod keeps pod start as fast as before the plugins.
 */
export function renderCniBatch(
  model: LabModel,
  command: CniCommand,
  pods: PodModel[],
  opts: { stdout?: string } = {},
): string[] {
  if (pods.length === 0) return [];
  const order: Array<'eth0' | 'lo'> =
    command === 'ADD' ? ['lo', 'eth0'] : command === 'DEL' ? ['eth0', 'lo'] : ['eth0'];
  const net = cniNetwork(model).file;
  const items = pods.flatMap((p) =>
    order.map((ifname) => ({
      config: ifname === 'lo' ? LOOPBACK_CONF : net,
      containerid: sandboxId(model, p),
      netns: `/run/netns/${p.netns}`,
      ifname,
      args: cniArgs(model, p),
      label: p.netns,
      ...(ifname === 'eth0' ? { summary: true } : {}),
    })),
  );
  // A quoted here-document: the JSON reaches the program as written.
  return heredoc(
    `CNI_PATH=${CNI_BIN_DIR} python3 -S ${CNI_EXEC} ${command} --batch${opts.stdout ? ` > ${opts.stdout}` : ''}`,
    JSON.stringify(items),
    'CNI_BATCH',
  );
}

/** The pod sandbox: its network namespace (the pause container's, held by `ip netns`), before CNI ADD. */
export function renderPodSandbox(pod: PodModel): string[] {
  const ns = q(pod.netns);
  return [
    `ip netns add ${ns}`,
    // IPv6 off in pods before the plugins create eth0, so captures hold only the IPv4 paths the lab is about.
    // nsenter --net: /proc/sys/net is the writer's network namespace, and unlike `ip netns exec` it
    // sets up no mount namespace and sysfs (a third of the cost, once per pod).
    `nsenter --net=/run/netns/${ns} sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6' 2>/dev/null || true`,
    `mkdir -p ${RUN_DIR}/pods/${ns}`,
  ];
}

/** One pod's network: its sandbox, then CNI ADD (loopback, then the node's network on eth0). */
export function renderPodNetwork(model: LabModel, node: NodeModel, pod: PodModel): string[] {
  const net = cniNetwork(model);
  return [
    `# pod ${pod.namespace}/${pod.name}: CNI ADD of ${net.file} (network ${net.name}) for ${pod.ip}, mtu ${podMtu(model)}`,
    ...renderPodSandbox(pod),
    ...renderCniAdd(model, node, [pod]),
  ];
}

/**
 * CNI ADD of the pods (one batch), its `cni-result` lines echoed for the caller, then the static
 * neighbour entries both ends of each pod's link get from those results (src/plan/static-neigh.ts).
 */
function renderCniAdd(model: LabModel, node: NodeModel, pods: PodModel[]): string[] {
  if (pods.length === 0) return [];
  return [
    `out=$(mktemp)`,
    ...renderCniBatch(model, 'ADD', pods, { stdout: '"$out"' }),
    'cat "$out"',
    ...renderStaticNeighbours(model, node, '"$out"'),
    'rm -f "$out"',
  ];
}

/**
 * CNI CHECK of every given pod's network (eth0), one line each: `cni-check <netns> ok` or
 * `cni-check <netns> fail <the plugin's error>`. The plugins compare what the cached ADD result
 * says with what the pod's namespace and the node hold now (bridge: the veth's peer and master,
 * the addresses and routes in the pod).
 */
export function renderCniCheck(model: LabModel, pods: PodModel[]): string[] {
  return renderCniBatch(model, 'CHECK', pods);
}

export interface CniCheck {
  netns: string;
  ok: boolean;
  error?: string;
}

export function parseCniChecks(out: string): CniCheck[] {
  const res: CniCheck[] = [];
  for (const line of out.split('\n')) {
    const m = /^cni-check (\S+) (ok|fail)(?: (.*))?$/.exec(line.trim());
    if (m)
      res.push({
        netns: m[1],
        ok: m[2] === 'ok',
        ...(m[2] === 'fail' ? { error: (m[3] ?? '').trim() || 'CHECK failed without a message' } : {}),
      });
  }
  return res;
}

/** What one pod's CNI ADD returned, as its start script printed it. */
export interface CniResult {
  netns: string;
  /** The pod's address (without prefix). */
  ip: string;
  /** The host end of the pod's link, named by the plugin. */
  hostVeth: string;
}

export function parseCniResults(out: string): CniResult[] {
  const res: CniResult[] = [];
  for (const line of out.split('\n')) {
    const m = /^cni-result (\S+) ip=(\S+) host=(\S+)(?: .*)?$/.exec(line.trim());
    if (m) res.push({ netns: m[1], ip: m[2].split('/')[0], hostVeth: m[3] });
  }
  return res;
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
  const log = `${LOG_DIR}/pods/${pod.netns}_${c.name}.log`;
  const pidFile = `${RUN_DIR}/pods/${pod.netns}/${c.name}.pid`;
  const argv = netexecArgs(pod, c).map(q).join(' ');
  // In the pod's UTS namespace (its hostname) and network namespace (its /etc/hosts and resolv.conf).
  return [
    // The pod's process never holds the node's CAP_SYS_ADMIN (src/plan/security.ts).
    `POD_NAME=${q(pod.name)} setsid ${podEnter(pod).map(q).join(' ')} ${DROP_SYS_ADMIN.join(' ')} ${argv} > ${q(log)} 2>&1 < /dev/null &`,
    `echo $! > ${q(pidFile)}`,
  ];
}

/** Waits until every serving container of the pod answers on its own address (readiness, like a probe). */
export function renderWaitReady(pod: PodModel, timeoutSec = WAIT_TIMEOUT_SEC): string[] {
  const lines: string[] = [];
  for (const c of pod.containers) {
    if (c.kind === 'dns') lines.push(...renderDnsWaitReady(pod, timeoutSec));
    if (!c.httpPort) continue;
    const addr = c.bind === '127.0.0.1' ? '127.0.0.1' : pod.ip;
    // From inside the pod's network namespace (nsenter --net: an address needs no /etc/netns files).
    lines.push(
      waitUntil(
        `nsenter --net=/run/netns/${q(pod.netns)} curl -fs -m 1 -o /dev/null http://${addr}:${c.httpPort}/healthz`,
        {
          what: `pod ${pod.name} container ${c.name} not ready`,
          timeoutSec,
        },
      ),
    );
  }
  return lines;
}

export function renderPod(model: LabModel, node: NodeModel, pod: PodModel): string[] {
  return [...renderPodNetwork(model, node, pod), ...renderPodRest(model, pod)];
}

/** What follows the pod's network: its identity (UTS namespace, /etc/hosts), resolv.conf, its containers. */
function renderPodRest(model: LabModel, pod: PodModel): string[] {
  return [
    ...renderPodIdentity(model, pod),
    ...renderPodResolvConf(model, pod),
    ...pod.containers.flatMap((c) => renderContainerStart(pod, c)),
  ];
}

/** A container pod runs in a Docker container of its own (src/lab/container-pods.ts), not as processes in the node. */
export function isContainerPod(pod: PodModel): boolean {
  return pod.containers.some((c) => c.kind === 'container');
}

/**
 * Whether the node's pod script must wait for the DNS pods' files (src/lab/dns.ts prepareDnsPods):
 * only when it starts a DNS server as a process pod (the offline DNS pods read their zones at
 * start). Every other pod starts without them, as on a cluster where nothing orders a pod's start
 * after CoreDNS's ConfigMap but CoreDNS's own.
 */
export function podsOnNodeNeedDnsFiles(model: LabModel, node: NodeModel): boolean {
  return model.pods.some(
    (p) => p.node === node.name && !isContainerPod(p) && p.containers.some((c) => c.kind === 'dns'),
  );
}

/**
 * How many of a node's pods are set up at once (sandboxes, then containers), and how many readiness
 * waits: every node's script runs at the same time, so the widths shrink as nodes grow (about 32
 * setups and 128 waits on the machine). Measured on 2 cores: at 5 nodes 8 at a time took 0.56 of
 * one after another; at 20 nodes 8 and 2 at a time (32 waits) were slower (BENCHMARKS.md, "Lab at scale").
 */
function podJobs(model: LabModel): { setup: number; wait: number } {
  const n = Math.max(1, model.nodes.length);
  return { setup: Math.min(8, Math.max(1, Math.floor(32 / n))), wait: Math.min(32, Math.max(1, Math.floor(128 / n))) };
}

/**
 * Brings up the given pods of one node (all of its pods by default), then waits until they are
 * ready. Pods are set up side by side (src/plan/jobs.ts), as a kubelet's pod workers do; the first
 * sandbox alone, so only it makes /run/netns a shared mount (`ip netns add` does that on first use).
 */
export function renderPodsOnNode(model: LabModel, node: NodeModel, only?: PodModel[]): string[] {
  const pods = (only ?? model.pods).filter((p) => p.node === node.name && !isContainerPod(p));
  if (pods.length === 0) return [];
  const [first, ...others] = pods;
  return [
    ...renderPodSandbox(first),
    ...renderJobs(others.map(renderPodSandbox), podJobs(model).setup, 'pod sandboxes'),
    // Every pod's CNI ADD in one runtime process (see renderCniBatch), then their static neighbours.
    ...renderCniAdd(model, node, pods),
    ...renderJobs(
      pods.map((p) => renderPodRest(model, p)),
      podJobs(model).setup,
      'pod containers',
    ),
    ...renderJobs(
      pods.map((p) => renderWaitReady(p)),
      podJobs(model).wait,
      'pod readiness',
    ),
  ];
}

/** Deletes a pod as kubelet does: stop its processes, CNI DEL (pod network, then loopback), drop the namespace. */
export function renderPodDelete(model: LabModel, pod: PodModel): string[] {
  const dir = `${RUN_DIR}/pods/${pod.netns}`;
  return [
    `# delete pod ${pod.namespace}/${pod.name}`,
    `for f in ${q(dir)}/*.pid; do [ -e "$f" ] && kill $(cat "$f") 2>/dev/null; done; true`,
    `ip netns pids ${q(pod.netns)} 2>/dev/null | xargs -r kill -9 2>/dev/null || true`,
    ...renderCniBatch(model, 'DEL', [pod]),
    ...renderStaticNeighbourDelete(model, pod),
    `ip netns del ${q(pod.netns)} 2>/dev/null || true`,
    ...renderPodIdentityDelete(pod),
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
  return pods
    .filter((p) => !isContainerPod(p))
    .flatMap((p) =>
      p.containers.map((c) => {
        const pidFile = `${RUN_DIR}/pods/${p.netns}/${c.name}.pid`;
        const addr = c.bind === '127.0.0.1' ? '127.0.0.1' : p.ip;
        if (c.kind === 'dns')
          return `if ${renderDnsAlive(p, c)}; then a=1; if ${renderDnsReady(p)}; then r=1; else r=0; fi; else a=0; r=0; fi; echo ${q(p.netns)} ${q(c.name)} $a $r`;
        // A container with a readiness (or startup) probe is ready when it passes (src/plan/probe.ts).
        const ready =
          (opts.probes === false ? undefined : renderReadyOnce(p, c)) ??
          (c.httpPort
            ? `if ip netns exec ${q(p.netns)} curl -fs -m 1 -o /dev/null http://${addr}:${c.httpPort}/healthz; then r=1; else r=0; fi`
            : 'r=-');
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
    .map(([netns, container, a, r]) => ({
      netns,
      container,
      alive: a === '1',
      ready: r === '-' ? undefined : r === '1',
    }));
}
