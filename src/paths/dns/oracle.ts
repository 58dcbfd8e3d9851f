/**
 * What the cluster DNS must answer, computed from the model and the readiness observed live,
 * following the Kubernetes DNS-Based Service Discovery specification 1.1.0
 * (kubernetes/dns docs/specification.md; /work/shared/reference/dns-spec.md; docs/reference/dns-expected-answers.md).
 * An endpoint has a hostname when the pod's hostname is set and its subdomain names the Service
 * (kubernetes pkg/controller/util/endpoint/controller_utils.go ShouldSetHostname, v1.27.5). It shares no code
 * with the lab's zone renderer (src/dns/): a wrong zone must not be able to agree with itself.
 *
 * Beyond the spec (its section 3 allows extensions), pod A records `a-b-c-d.<ns>.pod.<zone>`
 * follow kubeadm's CoreDNS `kubernetes` plugin `pods insecure` (coredns/coredns
 * plugin/kubernetes README, v1.11): the name's dashed address is answered as it is.
 */
import type { LabModel, PodModel, ServiceModel } from '../../model/types';
import type { DigAnswer } from '../../observe/dig';

export const SCHEMA_VERSION = '1.1.0';

export interface ExpectedRecord {
  type: string;
  /** Exact data (lower case for names); for SRV `port target`. */
  data: string;
  /** SRV to an endpoint without a hostname: the target is any one label under this name (system-assigned). */
  anyLabelUnder?: string;
}

export interface Expected {
  status: 'NOERROR' | 'NXDOMAIN';
  answers: ExpectedRecord[];
  /** ExternalName: the answer starts with this CNAME; the rest comes from upstream and is not judged. */
  cname?: string;
}

const abs = (n: string) => (n.endsWith('.') ? n : `${n}.`).toLowerCase();

export function svcName(model: LabModel, ns: string, name: string): string {
  return abs(`${name}.${ns}.svc.${model.cluster.domain}`);
}

export function srvName(model: LabModel, port: string, proto: string, ns: string, name: string): string {
  return abs(`_${port}._${proto.toLowerCase()}.${name}.${ns}.svc.${model.cluster.domain}`);
}

export function ptrName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa.`;
}

export function podName(model: LabModel, pod: Pick<PodModel, 'ip' | 'namespace'>): string {
  return abs(`${pod.ip.replace(/\./g, '-')}.${pod.namespace}.pod.${model.cluster.domain}`);
}

export function versionName(model: LabModel): string {
  return abs(`dns-version.${model.cluster.domain}`);
}

/** Pods whose labels match the Service's selector in its namespace (the endpoints controller's choice). */
function selected(model: LabModel, svc: ServiceModel): PodModel[] {
  const sel = svc.selector;
  if (!sel || Object.keys(sel).length === 0) return [];
  return model.pods.filter(
    (p) => p.namespace === svc.namespace && p.ip && Object.entries(sel).every(([k, v]) => p.labels[k] === v),
  );
}

/** The pod port a service port's targetPort names (a number, or a container port's name with the same protocol). */
function podPort(pod: PodModel, target: number | string, protocol: string): number | undefined {
  if (typeof target === 'number' || /^\d+$/.test(String(target))) return Number(target);
  for (const c of pod.containers)
    for (const p of c.ports ?? []) if (p.name === target && p.protocol === protocol) return p.containerPort;
  return undefined;
}

interface HeadlessEndpoint {
  pod: PodModel;
  /** Spec 2.1 hostname: the endpoint's hostname field, set when the pod's hostname and subdomain name this Service. */
  hostname?: string;
}

/** Spec 2.1 "ready": the pod is ready, or the Service publishes not-ready addresses. */
export function readyEndpoints(
  model: LabModel,
  svc: ServiceModel,
  ready: (p: PodModel) => boolean,
): HeadlessEndpoint[] {
  return selected(model, svc)
    .filter((p) => svc.publishNotReadyAddresses || ready(p))
    .map((p) => ({ pod: p, hostname: p.hostname && p.subdomain === svc.name ? p.hostname.toLowerCase() : undefined }));
}

/** The pods a probe must observe readiness of: the endpoints of headless Services. */
export function readinessPods(model: LabModel): PodModel[] {
  return [
    ...new Set(
      model.services
        .filter((s) => s.clusterIP === 'None' && s.type !== 'ExternalName')
        .flatMap((s) => selected(model, s)),
    ),
  ];
}

/**
 * default/kubernetes: every cluster has it (the API server's Service, https 443), on the first
 * address of the service CIDR (kubernetes pkg/controlplane/services.go ServiceIPRange, v1.30).
 * The lab runs no API server but its DNS must still name it; the model may not list it.
 */
export function kubernetesService(model: LabModel): ServiceModel {
  const [net, len] = model.cluster.serviceCIDR.split('/');
  const n = net.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const first = (Math.floor(n / 2 ** (32 - Number(len))) * 2 ** (32 - Number(len)) + 1) >>> 0;
  const ip = [24, 16, 8, 0].map((s) => (first >>> s) & 255).join('.');
  return {
    name: 'kubernetes',
    namespace: 'default',
    type: 'ClusterIP',
    clusterIP: ip,
    ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }],
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    internalTrafficPolicy: 'Cluster',
    externalTrafficPolicy: 'Cluster',
    publishNotReadyAddresses: false,
  };
}

/** The answer the spec requires for (name, type), or undefined when the spec says nothing about it. */
export function expectedAnswer(
  model: LabModel,
  ready: (p: PodModel) => boolean,
  qname: string,
  qtype: string,
): Expected | undefined {
  const name = abs(qname);
  const type = qtype.toUpperCase();
  if (name === versionName(model))
    return type === 'TXT' ? { status: 'NOERROR', answers: [{ type: 'TXT', data: SCHEMA_VERSION }] } : undefined;
  const services = model.services.some((s) => s.namespace === 'default' && s.name === 'kubernetes')
    ? model.services
    : [...model.services, kubernetesService(model)];
  for (const svc of services) {
    const base = svcName(model, svc.namespace, svc.name);
    if (svc.type === 'ExternalName') {
      if (name === base && svc.externalName) return { status: 'NOERROR', answers: [], cname: abs(svc.externalName) };
      continue;
    }
    if (svc.clusterIP !== 'None') {
      // 2.3.1 A, 2.3.2 SRV per named port, 2.3.3 PTR.
      if (name === base && type === 'A') return { status: 'NOERROR', answers: [{ type: 'A', data: svc.clusterIP }] };
      for (const p of svc.ports.filter((x) => x.name)) {
        if (name === srvName(model, p.name!, p.protocol, svc.namespace, svc.name) && type === 'SRV')
          return { status: 'NOERROR', answers: [{ type: 'SRV', data: `${p.port} ${base}` }] };
      }
      if (name === ptrName(svc.clusterIP) && type === 'PTR')
        return { status: 'NOERROR', answers: [{ type: 'PTR', data: base }] };
      continue;
    }
    // 2.4 headless: A per ready endpoint (NXDOMAIN without one), A per hostname, SRV per (ready endpoint x named port), PTR per hostname.
    const eps = readyEndpoints(model, svc, ready);
    if (name === base && type === 'A')
      return eps.length
        ? { status: 'NOERROR', answers: eps.map((e) => ({ type: 'A', data: e.pod.ip })) }
        : { status: 'NXDOMAIN', answers: [] };
    for (const e of eps.filter((x) => x.hostname)) {
      if (name === abs(`${e.hostname}.${base}`) && type === 'A')
        return { status: 'NOERROR', answers: [{ type: 'A', data: e.pod.ip }] };
      if (name === ptrName(e.pod.ip) && type === 'PTR')
        return { status: 'NOERROR', answers: [{ type: 'PTR', data: abs(`${e.hostname}.${base}`) }] };
    }
    for (const p of svc.ports.filter((x) => x.name)) {
      if (name !== srvName(model, p.name!, p.protocol, svc.namespace, svc.name) || type !== 'SRV') continue;
      const answers: ExpectedRecord[] = [];
      for (const e of eps) {
        // A port the pod does not have is no endpoint port (podutil.FindPort): no SRV for it.
        const port =
          typeof p.targetPort === 'number'
            ? p.port
            : podPort(e.pod, p.targetPort, p.protocol) !== undefined
              ? p.port
              : undefined;
        if (port === undefined) continue;
        answers.push(
          e.hostname
            ? { type: 'SRV', data: `${port} ${abs(`${e.hostname}.${base}`)}` }
            : { type: 'SRV', data: `${port}`, anyLabelUnder: base },
        );
      }
      return answers.length ? { status: 'NOERROR', answers } : { status: 'NXDOMAIN', answers: [] };
    }
  }
  const pod = model.pods.find((p) => podName(model, p) === name);
  if (pod && type === 'A') return { status: 'NOERROR', answers: [{ type: 'A', data: pod.ip }] };
  return undefined;
}

export interface Comparison {
  ok: boolean;
  /** Why the served answer is not the expected one. */
  why?: string;
}

/** `NOERROR A 10.96.0.1`: the expected answer as the table shows it. */
export function describeExpected(e: Expected): string {
  if (e.cname) return `NOERROR CNAME ${e.cname} (then upstream)`;
  return `${e.status} ${e.answers.map((a) => `${a.type} ${a.anyLabelUnder ? `* * ${a.data} <label>.${a.anyLabelUnder}` : a.type === 'SRV' ? `* * ${a.data}` : a.data}`).join(', ') || '(no records)'}`;
}

/** Compares a served answer with the expected one: rcode, and the records as a set (TTL, order, SRV priority and weight ignored). */
export function compare(e: Expected, got: DigAnswer, qname: string): Comparison {
  if (got.status === undefined) return { ok: false, why: got.error ?? 'no response' };
  const name = abs(qname);
  if (e.cname) {
    const c = got.answers.find((a) => a.name === name && a.type === 'CNAME');
    if (!c) return { ok: false, why: `no CNAME for ${name}` };
    return c.data === e.cname ? { ok: true } : { ok: false, why: `CNAME ${c.data}, expected ${e.cname}` };
  }
  if (got.status !== e.status) return { ok: false, why: `status ${got.status}, expected ${e.status}` };
  const mine = got.answers.filter((a) => a.name === name);
  const key = (a: { type: string; data: string }) => `${a.type} ${a.data}`;
  const srvOf = (data: string) => {
    const f = data.split(/\s+/);
    return { port: f[2], target: f[3] };
  };
  const left = [...mine];
  const missing: string[] = [];
  for (const x of e.answers.filter((a) => !a.anyLabelUnder)) {
    const i = left.findIndex(
      (a) =>
        a.type === x.type &&
        (x.type === 'SRV' ? `${srvOf(a.data).port} ${srvOf(a.data).target}` === x.data : a.data === x.data),
    );
    if (i < 0) missing.push(key(x));
    else left.splice(i, 1);
  }
  for (const x of e.answers.filter((a) => a.anyLabelUnder)) {
    const i = left.findIndex((a) => {
      const s = srvOf(a.data);
      return (
        a.type === 'SRV' &&
        s.port === x.data &&
        s.target.endsWith(`.${x.anyLabelUnder}`) &&
        !s.target.slice(0, -x.anyLabelUnder!.length - 1).includes('.')
      );
    });
    if (i < 0) missing.push(`SRV * * ${x.data} <label>.${x.anyLabelUnder}`);
    else left.splice(i, 1);
  }
  const extra = left.map(key);
  if (!missing.length && !extra.length) return { ok: true };
  return {
    ok: false,
    why: [missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `unexpected ${extra.join(', ')}` : '']
      .filter(Boolean)
      .join('; '),
  };
}
