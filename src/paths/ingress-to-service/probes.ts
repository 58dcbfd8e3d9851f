/**
 * ingress-to-service: from the Internet host, through the ingress (the guide's ALB) at its public
 * address, every host/path of the lab's Ingresses reaches a pod of the right Service, unmatched
 * requests reach the default backend (or nginx's 404 without one), and the backend sees
 * X-Forwarded-For equal to the Internet host's address. Pods are identified by netexec's
 * /hostname, the header by /header?key=X-Forwarded-For; each is asked only through a rule that
 * routes that request (checked with the same matcher the config is tested against).
 */
import type { LabModel, PodModel } from '../../model/types';
import { ingressRoutes } from '../../ingress/parse';
import { matchIngress, MatchResult } from '../../ingress/match';
import type { BackendRef, IngressRoutes, PathRule } from '../../ingress/types';
import { backendLabel } from '../../ingress/types';
import { answered, curlArgv, describeCurlFailure, HttpObservation, parseCurl } from '../../observe/curl';
import { probe } from '../../observe/probe';
import type { PathDef, Probe, ProbeRunner } from '../common/types';
import type { Target } from '../../plan/targets';

export const XFF_REQUEST = '/header?key=X-Forwarded-For';
const PEER_REQUEST = '/clientip';
const NAME_REQUEST = '/hostname';

/** A concrete host name for a rule host: `*.apps.example.com` -> `probe.apps.example.com`. */
export function concreteHost(host: string): string {
  return host.startsWith('*.') ? `probe${host.slice(1)}` : host;
}

function podsOf(model: LabModel, b: BackendRef): PodModel[] {
  const svc = model.services.find((s) => s.name === b.service && s.namespace === b.namespace);
  const sel = svc?.selector;
  if (!sel || !Object.keys(sel).length) return [];
  return model.pods.filter(
    (p) => p.namespace === b.namespace && Object.entries(sel).every(([k, v]) => p.labels[k] === v),
  );
}

const sameRule = (m: MatchResult, r: PathRule) => m.kind === 'backend' && m.rule === r;

/** One HTTP request from the Internet host to the ingress address with a Host header. */
async function ask(
  r: ProbeRunner,
  from: Target,
  ingressIP: string,
  host: string,
  path: string,
): Promise<HttpObservation> {
  const res = await r.run(from, curlArgv(`http://${ingressIP}${path}`, { headers: [`Host: ${host}`] }));
  return parseCurl(res.stdout, res.exitCode);
}

interface Check {
  /** Requests sent and what the answer must be. */
  name?: { request: string; want: BackendRef | 'notfound' };
  xff?: { request: string };
  /** The TCP peer the backend saw: the ingress itself (endpoints mode) or a node (NodePort + kube-proxy SNAT). */
  peer?: { request: string; backend: BackendRef };
}

function makeProbe(model: LabModel, title: string, host: string, rule: string, check: Check): Probe {
  const e = model.edge!;
  const from: Target = { id: 'internet', container: e.internet.container };
  return probe(
    { path: 'ingress-to-service', name: title, from: 'internet', to: 'ingress' },
    async (r) => {
      const [n, x, c] = await Promise.all([
        check.name ? ask(r, from, e.ingressIP, host, check.name.request) : undefined,
        check.xff ? ask(r, from, e.ingressIP, host, check.xff.request) : undefined,
        check.peer ? ask(r, from, e.ingressIP, host, check.peer.request) : undefined,
      ]);
      return { n, x, c };
    },
    ({ n, x, c }, ev) => {
      const reasons: string[] = [];
      ev.expected.host = host;
      ev.expected.path = rule;
      ev.expected.ingress = `${e.ingressIP}:80`;
      if (check.name && n) {
        const want = check.name.want;
        ev.expected.request = check.name.request;
        if (want === 'notfound') {
          ev.expected.status = 404;
          ev.observed.status = n.status || describeCurlFailure(n);
          if (n.status !== 404)
            reasons.push(
              n.status
                ? `expected nginx's 404 (no default backend), got HTTP ${n.status}`
                : `no answer: ${describeCurlFailure(n)}`,
            );
        } else {
          const pods = podsOf(model, want);
          ev.expected.service = backendLabel(want);
          ev.expected.pods = pods.map((p) => p.name);
          ev.observed.answeredBy = answered(n) ? n.body : describeCurlFailure(n);
          if (!answered(n)) reasons.push(`${check.name.request}: no answer: ${describeCurlFailure(n)}`);
          else if (!pods.some((p) => p.name === n.body))
            reasons.push(
              `answered by "${n.body}", not a pod of ${backendLabel(want)} (${pods.map((p) => p.name).join(', ') || 'no pods'})`,
            );
        }
      }
      if (check.xff && x) {
        ev.expected.xForwardedFor = e.internet.ip;
        ev.observed.xForwardedFor = answered(x) ? x.body : describeCurlFailure(x);
        if (!answered(x)) reasons.push(`${check.xff.request}: no answer: ${describeCurlFailure(x)}`);
        else if (x.body !== e.internet.ip)
          reasons.push(`backend saw X-Forwarded-For "${x.body}", not the Internet host ${e.internet.ip}`);
      }
      if (check.peer && c) {
        const seen = answered(c) ? c.body.replace(/:\d+$/, '') : undefined;
        const endpointsMode = check.peer.backend.mode === 'endpoints';
        // Expected from the mode, not from the rendered config: nginx's own address towards the
        // VPC, or (NodePort, externalTrafficPolicy Cluster) the address of a node that SNATs.
        const nodeAddrs = model.nodes.flatMap((nd) => [nd.ip, nd.cbr0IP]);
        ev.expected.backendMode = endpointsMode ? 'endpoints' : 'nodeport';
        ev.expected.peer = endpointsMode ? e.ingress.ip : 'a node address';
        ev.observed.peer = seen ?? describeCurlFailure(c);
        if (!seen) reasons.push(`${check.peer.request}: no answer: ${describeCurlFailure(c)}`);
        else if (endpointsMode && seen !== e.ingress.ip)
          reasons.push(
            `backend saw the connection from ${seen}, not from the ingress ${e.ingress.ip}: not sent straight to the endpoint`,
          );
        else if (!endpointsMode && !nodeAddrs.includes(seen))
          reasons.push(`backend saw the connection from ${seen}, not from a node: not through a NodePort`);
      }
      return reasons.join('; ') || undefined;
    },
  );
}

/** The probes for a lab's routes (pure: which requests, what answers are right). */
export function ingressProbes(model: LabModel, routes: IngressRoutes): Probe[] {
  const probes: Probe[] = [];
  for (const h of routes.hosts) {
    const host = h.host ? concreteHost(h.host) : 'unmatched.invalid';
    for (const rule of h.paths) {
      const check: Check = {};
      if (sameRule(matchIngress(routes, host, NAME_REQUEST), rule))
        check.name = { request: NAME_REQUEST, want: rule.backend };
      if (sameRule(matchIngress(routes, host, XFF_REQUEST), rule)) check.xff = { request: XFF_REQUEST };
      if (rule.backend.mode === 'endpoints' && sameRule(matchIngress(routes, host, PEER_REQUEST), rule))
        check.peer = { request: PEER_REQUEST, backend: rule.backend };
      if (!check.name && !check.xff) continue; // no netexec endpoint is routed by this rule: nothing identifies its answer
      const label = `${h.host || '(any host)'} ${rule.pathType} ${rule.path} -> ${backendLabel(rule.backend)}`;
      probes.push(makeProbe(model, label, host, `${rule.pathType} ${rule.path}`, check));
    }
  }
  // Unmatched: a host no rule names (the ingress address itself), and each host whose rules leave /hostname unmatched.
  const unmatched = [e(model), ...routes.hosts.filter((h) => h.host).map((h) => concreteHost(h.host))];
  for (const host of unmatched) {
    const m = matchIngress(routes, host, NAME_REQUEST);
    if (m.kind === 'backend') continue;
    const want = m.kind === 'default' ? m.backend : 'notfound';
    const xff = matchIngress(routes, host, XFF_REQUEST).kind === 'default' ? { request: XFF_REQUEST } : undefined;
    const label = `${host} ${NAME_REQUEST} (no rule matches) -> ${want === 'notfound' ? '404' : `default backend ${backendLabel(want)}`}`;
    probes.push(
      makeProbe(model, label, host, 'unmatched', { name: { request: NAME_REQUEST, want }, ...(xff ? { xff } : {}) }),
    );
  }
  return probes;
}

function e(model: LabModel): string {
  return model.edge!.ingressIP;
}

export const ingressToService: PathDef = {
  id: 'ingress-to-service',
  title:
    'from the Internet, the ingress routes each host/path to its Service (NodePort, or straight to its endpoints in endpoints mode) and sets X-Forwarded-For',
  probes(model) {
    if (!model.edge || !(model.ingresses ?? []).length) return [];
    return ingressProbes(model, ingressRoutes(model));
  },
  uncovered: (model) =>
    model.edge ? 'the lab has no Ingress objects' : 'the lab has no edge (no ingress, no Internet host)',
};
