/** The lab as it runs: containers' state and each pod's processes, observed, beside the model. */
import { isFallback } from '../topology/dns-server';
import { LABEL_POD } from '../plan/container-pod';
import type { LabelSelector } from '../model/netpol';
import { LABEL_NODE, LabModel, ServiceModel } from '../model/types';
import { listLabContainers } from '../runtime/containers';
import { exec } from '../runtime/exec';
import { RUN_DIR } from '../plan/node';
import { isContainerPod } from '../plan/pod';
import { isDnsPod } from '../plan/dns-pod';
import { containerPodName } from '../plan/container-pod';
import { edgeStatus, renderEdgeStatus } from '../edge/status';
import { observePods } from './kubelet';
import { brokenNodeStatus, brokenStatus, NodePlumbing, nodePlumbing } from './node-plumbing';
import { nodesToRepair } from './nodes-to-repair';
import { readFaults } from './faults/store';
import type { StatusReport } from '../report/status-report';

// Defined beside the pure layer that renders it (graph, ui); re-exported for status's callers.
export type { StatusReport };

/**
 * kubectl get services' EXTERNAL-IP column (kubectl's printers, getServiceExternalIP): a
 * LoadBalancer shows its status.loadBalancer IP (here: the one the edge's cloud load balancer
 * gave it), or `<pending>` until it has one, as on a cluster without a cloud controller;
 * ExternalName shows its name; the rest `<none>` (the lab models no spec.externalIPs).
 */
export function serviceExternalIP(s: Pick<ServiceModel, 'type' | 'loadBalancerIP' | 'externalName'>): string {
  if (s.type === 'LoadBalancer') return s.loadBalancerIP ?? '<pending>';
  if (s.type === 'ExternalName') return s.externalName ?? '<none>';
  return '<none>';
}

/** Per node: `<netns>/<container> <alive 0|1>` for every pid file of its pods. */
const PROC_SCRIPT = `for f in ${RUN_DIR}/pods/*/*.pid; do [ -e "$f" ] || continue; d=\${f%/*}; c=\${f##*/}; if kill -0 $(cat "$f") 2>/dev/null; then a=1; else a=0; fi; echo "\${d##*/}/\${c%.pid} $a"; done`;

const firstLine = (r: { stdout: string; stderr: string; exitCode: number }) =>
  (r.stderr.trim() || r.stdout.trim() || `exit ${r.exitCode}`).split('\n')[0];

/** Separates the pid/eth0 lines from `ip -o link show` in the node's one exec. */
const LINKS_MARK = '--links--';

/** Labs from before the choice existed ran the offline server whenever they had DNS pods. */
function dnsServerOf(model: LabModel): Pick<StatusReport, 'dnsServer'> {
  const c = model.dnsServer;
  if (c)
    return {
      dnsServer: {
        server: c.server,
        requested: c.requested,
        reason: c.reason,
        ...(c.image && c.server === 'coredns' ? { image: c.image } : {}),
        ...(isFallback(c) ? { fallback: true } : {}),
      },
    };
  return model.pods.some(isDnsPod)
    ? {
        dnsServer: {
          server: 'offline',
          requested: 'offline',
          reason: 'lab started before the DNS server choice existed',
        },
      }
    : {};
}

export async function labStatus(model: LabModel): Promise<StatusReport> {
  const cs = await listLabContainers(model.name);
  const state = (container: string) => cs.find((c) => c.name === container)?.state ?? 'missing';
  const alive = new Map<string, boolean>();
  const link = new Map<string, string>();
  const plumbing = new Map<string, NodePlumbing>();
  const unknown = new Map<string, string>();
  const nodeLinks = new Map<string, string>();
  // The VPC router's ports and the active faults: a node half set up (its port down with no
  // link-down fault asking for it) is broken, judged as lab up judges what to repair.
  const router =
    state(model.vpc.container) === 'running'
      ? Promise.all([
          exec(model.vpc.container, ['ip', '-o', 'link', 'show']),
          readFaults(model.vpc.container).catch(() => undefined),
        ])
      : undefined;
  await Promise.all(
    model.nodes.map(async (n) => {
      if (state(n.container) !== 'running') return;
      const r = await exec(n.container, [
        'sh',
        '-c',
        `${PROC_SCRIPT}; echo "eth0 $(cat /sys/class/net/eth0/operstate 2>/dev/null || echo missing)"; echo ${LINKS_MARK}; ip -o link show`,
      ]);
      const [procs, links] = r.stdout.split(`${LINKS_MARK}\n`);
      // Nothing observed is neither Ready nor broken: Unknown, as Kubernetes says of a silent node.
      if (links === undefined) {
        unknown.set(n.name, `Unknown (exec in the node failed: ${firstLine(r)})`);
        return;
      }
      link.set(n.name, /^eth0 (\S+)$/m.exec(procs)?.[1] ?? 'missing');
      plumbing.set(n.name, nodePlumbing(model, n, links));
      nodeLinks.set(n.name, links);
      for (const l of procs.trim().split('\n').filter(Boolean)) {
        const [k, a] = l.split(' ');
        alive.set(`${n.name}:${k}`, a === '1');
      }
    }),
  );
  const [vpc, faults] = (await router) ?? [];
  const halfSetUp = new Map(
    (vpc && !vpc.failed && faults
      ? nodesToRepair(model, {
          nodeLinks,
          vpcLinks: vpc.stdout,
          linkDownFaults: new Set(faults.active.filter((f) => f.kind === 'link-down').map((f) => f.target)),
        })
      : []
    )
      .filter((r) => r.restart)
      .map((r) => [r.node.name, r.why]),
  );
  // Readiness as the kubelet would report it: probes run once (src/plan/probe.ts).
  const observed = new Map((await observePods(model).catch(() => [])).map((o) => [o.pod, o]));
  const readyOf = (p: LabModel['pods'][number]): string => {
    const o = observed.get(p);
    const n = o ? o.containers.filter((c) => c.alive && c.ready !== false).length : 0;
    return `${Math.min(n, p.containers.length)}/${p.containers.length}`;
  };
  // A container pod carries its node's label too: it is named by its pod (namespace/name), so a
  // name in this list is the node's own container only for role node.
  const containers = cs.map((c) => ({
    name: c.labels[LABEL_POD] ?? c.labels[LABEL_NODE] ?? c.role,
    container: c.name,
    role: c.role,
    state: c.state,
  }));
  return {
    lab: model.name,
    proxy: model.cluster.proxy,
    cni: model.cluster.cni,
    ...dnsServerOf(model),
    containers,
    nodes: model.nodes.map((n) => {
      const p = plumbing.get(n.name);
      const half = halfSetUp.get(n.name);
      const broken = half ? brokenStatus(half) : p && brokenNodeStatus(p);
      return {
        name: n.name,
        ip: n.ip,
        podCIDR: n.podCIDR,
        subnet: n.subnet,
        // The container runs, the node does not: never shown as running.
        state: broken ? 'broken' : state(n.container),
        status: broken || unknown.get(n.name) || nodeStatus(state(n.container), link.get(n.name)),
        ...(broken && p ? { missing: { links: p.missingLinks, pods: p.missingPods } } : {}),
      };
    }),
    pods: model.pods.map((p) => ({
      name: p.name,
      namespace: p.namespace,
      node: p.node,
      ip: p.ip,
      containers: p.containers.map((c) => c.name),
      // A container pod runs in its own engine container (src/lab/container-pods.ts).
      running:
        (isContainerPod(p)
          ? state(containerPodName(model, p)) === 'running'
          : p.containers.every((c) => alive.get(`${p.node}:${p.netns}/${c.name}`) === true)) &&
        // A pod whose veth is gone from its node is no running pod: its processes (if any still
        // run; after a node restart a pid file's number may even be another process's) have no network.
        !plumbing.get(p.node)?.missingPods.includes(`${p.namespace}/${p.name}`),
      ready: readyOf(p),
    })),
    links: model.links.map((l) => ({ a: `${l.a.container}:${l.a.iface}`, b: `${l.b.container}:${l.b.iface}` })),
    ...(model.edge ? { edge: edgeStatus(model) } : {}),
    services: model.services.map((s) => ({
      name: s.name,
      namespace: s.namespace,
      type: s.type,
      clusterIP: s.clusterIP,
      externalIP: serviceExternalIP(s),
      ports: s.ports.map(
        (p) => `${p.name ? p.name + ':' : ''}${p.port}/${p.protocol}${p.nodePort ? `:${p.nodePort}` : ''}`,
      ),
    })),
    ...(model.networkPolicies?.length
      ? {
          networkPolicies: model.networkPolicies.map((np) => ({
            name: np.name,
            namespace: np.namespace,
            podSelector: selectorText(np.podSelector),
            policyTypes: np.policyTypes,
          })),
        }
      : {}),
  };
}

/** A label selector as kubectl prints it (`<none>` selects every pod of the namespace). */
export function selectorText(sel: LabelSelector): string {
  const parts = [
    ...Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(sel.matchExpressions ?? []).map((e) =>
      e.operator === 'Exists'
        ? e.key
        : e.operator === 'DoesNotExist'
          ? `!${e.key}`
          : `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`,
    ),
  ];
  return parts.length ? parts.join(',') : '<none>';
}

/**
 * A node is Ready only when its container runs and its VPC link (eth0) is up: a container the
 * engine restarted has no links (they died with its namespace) and must not look healthy.
 */
export function nodeStatus(containerState: string, eth0: string | undefined): string {
  if (containerState !== 'running') return `NotReady (container ${containerState})`;
  if (eth0 === 'missing' || eth0 === undefined) return 'NotReady (eth0 gone: links lost, rebuild with lab up)';
  if (eth0 !== 'up' && eth0 !== 'unknown') return `NotReady (eth0 ${eth0})`;
  return 'Ready';
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(w[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderStatus(s: StatusReport): string {
  const out = [`lab ${s.lab}  proxy ${s.proxy}  cni ${s.cni}${s.dnsServer ? `  dns ${s.dnsServer.server}` : ''}`, ''];
  const d = s.dnsServer;
  // Say which server answers, and when it is only the fallback for a CoreDNS that could not be had.
  if (d)
    out.splice(
      1,
      0,
      `dns server: ${d.server}${d.image ? ` ${d.image}` : ''}${d.fallback ? ' fallback (knotd + unbound)' : ''} (asked ${d.requested}: ${d.reason})`,
    );
  out.push(
    table([
      ['NODE', 'STATUS', 'STATE', 'IP', 'SUBNET', 'POD CIDR'],
      ...s.nodes.map((n) => [n.name, n.status ?? '', n.state, n.ip, n.subnet, n.podCIDR]),
    ]),
  );
  out.push('');
  out.push(
    table([
      ['POD', 'NAMESPACE', 'NODE', 'IP', 'CONTAINERS', 'READY', 'RUNNING'],
      ...s.pods.map((p) => [
        p.name,
        p.namespace,
        p.node,
        p.ip,
        p.containers.join(','),
        p.ready,
        p.running ? 'yes' : 'NO',
      ]),
    ]),
  );
  if (s.services.length) {
    out.push('');
    out.push(
      table([
        ['SERVICE', 'NAMESPACE', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORTS'],
        ...s.services.map((v) => [v.name, v.namespace, v.type, v.clusterIP, v.externalIP, v.ports.join(',')]),
      ]),
    );
  }
  if (s.networkPolicies?.length) {
    out.push('');
    out.push(
      table([
        ['NETWORKPOLICY', 'NAMESPACE', 'POD-SELECTOR', 'POLICY-TYPES'],
        ...s.networkPolicies.map((n) => [n.name, n.namespace, n.podSelector, n.policyTypes.join(',')]),
      ]),
    );
  }
  if (s.edge) out.push('', ...renderEdgeStatus(s.edge));
  out.push('');
  out.push(table([['LINK A', 'LINK B'], ...s.links.map((l) => [l.a, l.b])]));
  return out.join('\n');
}
