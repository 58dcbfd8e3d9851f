/**
 * `lab load TARGET`, pure: where the steady stream of requests goes (a Service's ClusterIP, or
 * its LoadBalancer address from the Internet host), where it comes from (a pod on each node),
 * which answers are right (the Service's backends by its selector, from the model), and the
 * script that runs images/load/load.py there.
 */
import type { LabModel, PodModel, ServiceModel } from '../../model/types';
import { InputError } from '../../errors';
import { selectorMatches } from '../../proxy/endpoints';
import { q } from '../../plan/shell';

export interface LoadOptions {
  /** Requests per second from each source. */
  rate: number;
  seconds: number;
  /** Seconds a request may take before it counts as a timeout. */
  timeoutSec: number;
  /** `pods` (one on each node, the default) or `internet` (the Internet host to the LoadBalancer). */
  from: 'pods' | 'internet';
}

/** Bounds that keep the stream steady and the report readable (a load, not a flood). */
export const LOAD_LIMITS = { rate: [1, 50], seconds: [1, 600], timeoutSec: [0.1, 10] } as const;

export interface LoadSource {
  /** `node1` (from pod1), or `internet`. */
  id: string;
  container: string;
  /** Network namespace inside the container (a pod's), or none (the container's own). */
  netns?: string;
  /** What it is, in words: `pod default/pod1 on node1`. */
  what: string;
}

export interface LoadPlan {
  service: ServiceModel;
  ip: string;
  port: number;
  /** The answers that are right: the names of the pods the Service's selector matches (model). */
  backends: string[];
  sources: LoadSource[];
  options: LoadOptions;
}

function checkRange(v: number, [lo, hi]: readonly [number, number], field: string, example: string): void {
  if (!(v >= lo && v <= hi))
    throw new InputError(`must be from ${lo} to ${hi}, got ${v}`, { field, hint: `e.g. ${field} ${example}` });
}

function findService(model: LabModel, target: string): ServiceModel {
  const [ns, name] = target.includes('/') ? target.split('/', 2) : ['default', target];
  const svc = model.services.find((s) => s.namespace === ns && s.name === name);
  const tcp = model.services.filter((s) => s.ports.some((p) => p.protocol === 'TCP') && s.clusterIP !== 'None');
  if (!svc)
    throw new InputError(`no Service ${ns}/${name}`, {
      field: 'TARGET',
      hint: `use one of: ${tcp.map((s) => `${s.namespace}/${s.name}`).join(', ')}`,
    });
  if (!svc.selector || Object.keys(svc.selector).length === 0 || svc.type === 'ExternalName')
    throw new InputError(`Service ${ns}/${name} has no selector: its right backends are not known`, {
      field: 'TARGET',
      hint: 'load a Service with a selector',
    });
  if (svc.clusterIP === 'None')
    throw new InputError(`Service ${ns}/${name} is headless (no ClusterIP to load)`, {
      field: 'TARGET',
      hint: 'load a Service with a ClusterIP',
    });
  if (!svc.ports.some((p) => p.protocol === 'TCP'))
    throw new InputError(`Service ${ns}/${name} has no TCP port (lab load sends HTTP)`, {
      field: 'TARGET',
      hint: `use one of: ${tcp.map((s) => `${s.namespace}/${s.name}`).join(', ')}`,
    });
  return svc;
}

/**
 * One source per node: a pod there that is not a backend of the Service (a client, as the guide's
 * `client` pod; a backend would often answer itself), else a backend, else the node itself.
 */
function podSources(model: LabModel, backends: Set<PodModel>): LoadSource[] {
  return model.nodes.map((n) => {
    const pods = model.pods
      .filter((p) => p.node === n.name && p.netns && p.namespace !== 'kube-system')
      .sort((a, b) => Number(backends.has(a)) - Number(backends.has(b)) || a.name.localeCompare(b.name));
    const p = pods[0];
    return p
      ? { id: n.name, container: n.container, netns: p.netns, what: `pod ${p.namespace}/${p.name} on ${n.name}` }
      : { id: n.name, container: n.container, what: `node ${n.name} (no pod there)` };
  });
}

export function planLoad(model: LabModel, target: string, options: LoadOptions): LoadPlan {
  checkRange(options.rate, LOAD_LIMITS.rate, '--rate', '10');
  checkRange(options.seconds, LOAD_LIMITS.seconds, '--duration', '30');
  checkRange(options.timeoutSec, LOAD_LIMITS.timeoutSec, '--timeout', '1');
  const service = findService(model, target);
  const port = service.ports.find((p) => p.protocol === 'TCP')!;
  const matched = model.pods.filter(
    (p) => p.namespace === service.namespace && selectorMatches(service.selector!, p.labels),
  );
  const backends = matched.map((p) => p.name).sort();
  if (options.from === 'internet') {
    if (!model.edge)
      throw new InputError('this lab has no Internet host (no edge: section)', {
        field: '--from',
        hint: 'use --from pods, or a topology with edge: {}',
      });
    if (service.type !== 'LoadBalancer' || !service.loadBalancerIP)
      throw new InputError(`Service ${service.namespace}/${service.name} has no LoadBalancer address`, {
        field: 'TARGET',
        hint: `from the Internet, load a LoadBalancer Service: ${model.services
          .filter((s) => s.loadBalancerIP)
          .map((s) => `${s.namespace}/${s.name}`)
          .join(', ')}`,
      });
    const inet = model.edge.internet;
    return {
      service,
      ip: service.loadBalancerIP,
      port: port.port,
      backends,
      options,
      sources: [{ id: 'internet', container: inet.container, what: `the Internet host ${inet.ip}` }],
    };
  }
  return {
    service,
    ip: service.clusterIP,
    port: port.port,
    backends,
    options,
    sources: podSources(model, new Set(matched)),
  };
}

/** The script (for `sh -s` in the source's container) that runs the load client there. */
export function renderLoadScript(plan: LoadPlan, src: LoadSource, program: string): string {
  let tag = 'K8S_NETLAB_LOAD';
  while (program.includes(tag)) tag += '_';
  const o = plan.options;
  const args = [plan.ip, plan.port, '/hostname', o.rate, o.seconds, o.timeoutSec].join(' ');
  const pre = src.netns ? `ip netns exec ${q(src.netns)} ` : '';
  return `${pre}python3 - ${args} <<'${tag}'\n${program}\n${tag}\n`;
}
