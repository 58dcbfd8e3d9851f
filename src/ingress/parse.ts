/**
 * Ingress objects (networking.k8s.io/v1, kept raw by the topology loader) -> IngressRoutes.
 * Checks the spec as the API server does (hosts, paths, pathType, backends) plus what the lab's
 * ALB-style controller needs: every backend is a NodePort/LoadBalancer Service port (instance
 * targets), and no two rules claim the same host+path+pathType for different backends.
 * Every problem is collected, with its field path and a fix.
 */
import { InputError, InputErrors } from '../errors';
import type { LabModel, ServiceModel, ServicePortModel } from '../model/types';
import {
  BACKEND_MODE_ANNOTATION,
  backendLabel,
  BackendRef,
  DefaultBackend,
  HostRules,
  IngressRoutes,
  PathRule,
  PathType,
} from './types';

export interface IngressSource {
  object: unknown;
  /** Field path prefix of the object: `objects[7]`, `manifests/x.yaml[0]`, `ingresses[0]`. */
  path: string;
}

export interface ParsedIngresses {
  routes: IngressRoutes;
  errors: InputError[];
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Sequences the API server rejects in Exact/Prefix paths (k8s.io/kubernetes pkg/apis/networking/validation).
const INVALID_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_SUFFIXES = ['/..', '/.'];
// Characters the lab lets through to nginx unquoted-safe; '%' is left out because nginx matches
// locations on the decoded URI, which would make the rendered config differ from the matcher.
const PATH_CHARS = /^\/[A-Za-z0-9._~!$&'()*+,=:@/-]*$/;

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Problem with an Ingress rule host (`foo.com` or `*.foo.com`), or undefined. */
export function hostProblem(host: string): string | undefined {
  if (host.length > 253) return `"${host}" must be no more than 253 characters`;
  if (/^[0-9.]+$/.test(host)) return `"${host}" must be a DNS name, not an IP address`;
  if (host.includes(':')) return `"${host}" must not carry a port`;
  const labels = host.split('.');
  const rest = labels[0] === '*' ? labels.slice(1) : labels;
  if (labels[0] === '*' && rest.length === 0)
    return `"${host}": a wildcard needs a domain after "*." (e.g. *.example.com)`;
  if (rest.some((l) => !LABEL.test(l) || l.length > 63))
    return `"${host}" is not a valid host: lower case DNS labels joined by '.', optionally starting with "*." (e.g. web.example.com or *.apps.example.com)`;
  return undefined;
}

/** Problem with an Exact/Prefix path, or undefined. */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return `"${path}" must be an absolute path (start with /)`;
  for (const s of INVALID_SEQUENCES) if (path.includes(s)) return `"${path}" must not contain '${s}'`;
  for (const s of INVALID_SUFFIXES) if (path.endsWith(s)) return `"${path}" must not end with '${s}'`;
  if (!PATH_CHARS.test(path))
    return `"${path}" holds characters the lab's ingress does not route on (allowed: letters, digits and - . _ ~ ! $ & ' ( ) * + , = : @ /)`;
  return undefined;
}

/** A Prefix path without its trailing slash (`/foo/` and `/foo` are the same rule); `/` stays. */
export function normalizePrefix(path: string): string {
  const p = path.replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

function findPort(svc: ServiceModel, port: Record<string, unknown>): ServicePortModel | undefined {
  if (port.number !== undefined) return svc.ports.find((p) => p.port === port.number && p.protocol === 'TCP');
  return svc.ports.find((p) => p.name === port.name && p.protocol === 'TCP');
}

function portList(svc: ServiceModel): string {
  const tcp = svc.ports.filter((p) => p.protocol === 'TCP');
  return tcp.length
    ? tcp.map((p) => (p.name ? `${p.port} (name ${p.name})` : String(p.port))).join(', ')
    : '(no TCP ports)';
}

/** Resolves `backend` (an IngressBackend) to a Service NodePort; problems go to errors. */
function resolveBackend(
  raw: unknown,
  field: string,
  ns: string,
  services: ServiceModel[],
  errors: InputError[],
  mode: 'nodeport' | 'endpoints' = 'nodeport',
): BackendRef | undefined {
  const add = (f: string, msg: string, hint: string) => errors.push(new InputError(msg, { field: f, hint }));
  if (!isObj(raw)) {
    add(field, 'Required value: a backend is required', 'write backend: {service: {name: web, port: {number: 80}}}');
    return undefined;
  }
  if (raw.resource !== undefined) {
    add(
      `${field}.resource`,
      "resource backends are not supported by the lab's ingress",
      'point the backend at a Service: backend: {service: {name: web, port: {number: 80}}}',
    );
    return undefined;
  }
  const s = raw.service;
  if (!isObj(s)) {
    add(`${field}.service`, 'Required value: service is required', 'write service: {name: web, port: {number: 80}}');
    return undefined;
  }
  const name = s.name;
  if (typeof name !== 'string' || !name) {
    add(
      `${field}.service.name`,
      'Required value: the Service name is required',
      'name the Service to send to, e.g. name: web',
    );
    return undefined;
  }
  const port = s.port;
  let portOk = true;
  if (!isObj(port)) {
    add(
      `${field}.service.port`,
      'Required value: the Service port is required',
      'write port: {number: 80} or port: {name: http}',
    );
    portOk = false;
  } else if ((port.number === undefined) === (port.name === undefined)) {
    add(
      `${field}.service.port`,
      'Invalid value: exactly one of port.number and port.name must be set',
      'write port: {number: 80} or port: {name: http}',
    );
    portOk = false;
  } else if (
    port.number !== undefined &&
    (!Number.isInteger(port.number) || (port.number as number) < 1 || (port.number as number) > 65535)
  ) {
    add(
      `${field}.service.port.number`,
      `Invalid value: ${JSON.stringify(port.number)}: must be between 1 and 65535, inclusive`,
      'use the Service port (spec.ports[].port), e.g. 80',
    );
    portOk = false;
  } else if (port.name !== undefined && typeof port.name !== 'string') {
    add(
      `${field}.service.port.name`,
      `Invalid value: ${JSON.stringify(port.name)}: must be a string`,
      'use the name of a Service port, e.g. http',
    );
    portOk = false;
  }
  const svc = services.find((x) => x.name === name && x.namespace === ns);
  if (!svc) {
    const others = services.filter((x) => x.namespace === ns).map((x) => x.name);
    add(
      `${field}.service.name`,
      `service "${name}" not found in namespace ${ns}`,
      `add a Service named ${name} (type: NodePort) to the topology, or point the backend at an existing one${others.length ? ` (${others.join(', ')})` : ''}`,
    );
    return undefined;
  }
  if (!portOk) return undefined;
  const sp = findPort(svc, port as Record<string, unknown>);
  const asked =
    (port as Record<string, unknown>).number !== undefined
      ? `port ${String((port as Record<string, unknown>).number)}`
      : `port named "${String((port as Record<string, unknown>).name)}"`;
  const portField = `${field}.service.port.${(port as Record<string, unknown>).number !== undefined ? 'number' : 'name'}`;
  if (!sp) {
    add(portField, `service ${ns}/${name} has no TCP ${asked}`, `use one of its ports: ${portList(svc)}`);
    return undefined;
  }
  if (mode === 'endpoints') {
    if (svc.type === 'ExternalName' || svc.clusterIP === 'None' || !svc.selector) {
      add(
        `${field}.service.name`,
        `service ${ns}/${name} has no selector-made endpoints for the ingress to send to`,
        `point the backend at a Service with a selector`,
      );
      return undefined;
    }
    return {
      namespace: ns,
      service: name,
      port: sp.port,
      ...(sp.name ? { portName: sp.name } : {}),
      nodePort: sp.nodePort ?? 0,
      mode: 'endpoints',
    };
  }
  if (svc.type !== 'NodePort' && svc.type !== 'LoadBalancer') {
    add(
      `${field}.service.name`,
      `service ${ns}/${name} is type ${svc.type}: the lab's ingress (like an ALB in instance mode) reaches Services through their NodePort on every node`,
      `set type: NodePort on Service ${name}, or annotate the Ingress ${BACKEND_MODE_ANNOTATION}: endpoints (nginx to the pods, as ingress-nginx)`,
    );
    return undefined;
  }
  if (sp.nodePort === undefined) {
    add(
      portField,
      `service ${ns}/${name} ${asked} has no nodePort (allocateLoadBalancerNodePorts: false?)`,
      `give the port a nodePort, or set type: NodePort on Service ${name}`,
    );
    return undefined;
  }
  return {
    namespace: ns,
    service: name,
    port: sp.port,
    ...(sp.name ? { portName: sp.name } : {}),
    nodePort: sp.nodePort,
  };
}

const sameBackend = (a: BackendRef, b: BackendRef) =>
  a.namespace === b.namespace && a.service === b.service && a.port === b.port && a.mode === b.mode;

/** Parses and checks every Ingress; routes hold what was valid, errors everything that was not. */
export function parseIngresses(sources: IngressSource[], services: ServiceModel[]): ParsedIngresses {
  const errors: InputError[] = [];
  const add = (f: string, msg: string, hint: string) => errors.push(new InputError(msg, { field: f, hint }));
  const hosts = new Map<string, PathRule[]>();
  // host \0 pathType \0 path -> the rule that took it (collision detection across Ingresses).
  const claimed = new Map<string, PathRule>();
  let defaultBackend: DefaultBackend | undefined;

  for (const { object, path: base } of sources) {
    if (!isObj(object)) continue;
    const meta = isObj(object.metadata) ? object.metadata : {};
    const ns = typeof meta.namespace === 'string' ? meta.namespace : 'default';
    const id = `${ns}/${String(meta.name ?? '')}`;
    const modeRaw = isObj(meta.annotations) ? meta.annotations[BACKEND_MODE_ANNOTATION] : undefined;
    if (modeRaw !== undefined && modeRaw !== 'nodeport' && modeRaw !== 'endpoints')
      add(
        `${base}.metadata.annotations.${BACKEND_MODE_ANNOTATION}`,
        `Unsupported value: ${JSON.stringify(modeRaw)}`,
        "use nodeport (every node's NodePort, the default) or endpoints (the pods directly)",
      );
    const mode = modeRaw === 'endpoints' ? 'endpoints' : 'nodeport';
    const spec = object.spec;
    if (spec === undefined || spec === null) {
      add(
        `${base}.spec`,
        'Required value: an Ingress needs spec.rules or spec.defaultBackend',
        'add spec.rules (hosts and paths) or spec.defaultBackend',
      );
      continue;
    }
    if (!isObj(spec)) {
      add(`${base}.spec`, 'Invalid value: must be a mapping', 'write spec: {rules: [...], defaultBackend: {...}}');
      continue;
    }
    if (
      spec.ingressClassName !== undefined &&
      (typeof spec.ingressClassName !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(spec.ingressClassName))
    )
      add(
        `${base}.spec.ingressClassName`,
        `Invalid value: ${JSON.stringify(spec.ingressClassName)}: must be a DNS-1123 subdomain`,
        'use a class name such as alb, or leave it out',
      );
    if (spec.tls !== undefined)
      add(
        `${base}.spec.tls`,
        "TLS termination is not supported by the lab's ingress (it serves plain HTTP on port 80)",
        'remove spec.tls',
      );
    const rules = spec.rules;
    if (rules === undefined && spec.defaultBackend === undefined) {
      add(
        `${base}.spec`,
        'Invalid value: either `defaultBackend` or `rules` must be specified',
        'add spec.rules (hosts and paths) or spec.defaultBackend',
      );
      continue;
    }
    if (spec.defaultBackend !== undefined) {
      const f = `${base}.spec.defaultBackend`;
      const b = resolveBackend(spec.defaultBackend, f, ns, services, errors, mode);
      if (b && defaultBackend && !sameBackend(b, defaultBackend.backend))
        add(
          f,
          `collides with the default backend of Ingress ${defaultBackend.ingress} (${defaultBackend.field}): ${backendLabel(b)} vs ${backendLabel(defaultBackend.backend)}`,
          'the ingress has one default backend: keep spec.defaultBackend in one Ingress only',
        );
      else if (b && !defaultBackend) defaultBackend = { backend: b, ingress: id, field: f };
    }
    if (rules === undefined) continue;
    if (!Array.isArray(rules)) {
      add(
        `${base}.spec.rules`,
        'Invalid value: must be a list',
        'write rules: [{host: web.example.com, http: {paths: [...]}}]',
      );
      continue;
    }
    rules.forEach((rule, ri) => {
      const rf = `${base}.spec.rules[${ri}]`;
      if (!isObj(rule)) {
        add(rf, 'Invalid value: must be a mapping', 'write {host: web.example.com, http: {paths: [...]}}');
        return;
      }
      let host = '';
      if (rule.host !== undefined) {
        const problem = typeof rule.host === 'string' ? hostProblem(rule.host) : 'must be a string';
        if (problem) {
          add(
            `${rf}.host`,
            problem,
            'use a DNS name such as web.example.com or *.apps.example.com, or leave host out to match every host',
          );
          return;
        }
        host = rule.host as string;
      }
      const http = rule.http;
      if (!isObj(http) || !Array.isArray(http.paths) || http.paths.length === 0) {
        add(
          `${rf}.http.paths`,
          'Required value: a rule needs http.paths (at least one)',
          'write http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}',
        );
        return;
      }
      http.paths.forEach((p, pi) => {
        const pf = `${rf}.http.paths[${pi}]`;
        if (!isObj(p)) {
          add(pf, 'Invalid value: must be a mapping', 'write {path: /, pathType: Prefix, backend: {...}}');
          return;
        }
        let pathType: PathType | undefined;
        if (p.pathType === 'Exact' || p.pathType === 'Prefix' || p.pathType === 'ImplementationSpecific')
          pathType = p.pathType;
        else if (p.pathType === undefined)
          add(
            `${pf}.pathType`,
            'Required value: pathType must be specified',
            'set pathType: Prefix or pathType: Exact',
          );
        else
          add(
            `${pf}.pathType`,
            `Unsupported value: ${JSON.stringify(p.pathType)}`,
            'use one of: Exact, Prefix, ImplementationSpecific',
          );
        const rawPath = p.path === undefined ? '/' : p.path;
        let pathOk = true;
        if (typeof rawPath !== 'string') {
          add(`${pf}.path`, 'Invalid value: must be a string', 'write a path such as /api');
          pathOk = false;
        } else {
          const problem = pathProblem(rawPath);
          if (problem) {
            add(`${pf}.path`, problem, 'use an absolute path such as /api or /api/v1');
            pathOk = false;
          }
        }
        const backend = resolveBackend(p.backend, `${pf}.backend`, ns, services, errors, mode);
        if (!pathType || !pathOk || !backend) return;
        const path = pathType === 'Prefix' ? normalizePrefix(rawPath as string) : (rawPath as string);
        const r: PathRule = { path, pathType, backend, ingress: id, field: pf };
        const key = `${host}\0${pathType}\0${path}`;
        const prev = claimed.get(key);
        if (prev) {
          if (!sameBackend(prev.backend, backend))
            add(
              pf,
              `collides with ${prev.field} (Ingress ${prev.ingress}): host ${host || '(any)'} path ${path} (${pathType}) goes to ${backendLabel(prev.backend)} there and to ${backendLabel(backend)} here`,
              'give one of the rules another host or path, or point both at the same backend',
            );
          return; // same backend: the duplicate adds nothing
        }
        claimed.set(key, r);
        const list = hosts.get(host) ?? [];
        list.push(r);
        hosts.set(host, list);
      });
    });
  }

  const rank = (h: string) => (h === '' ? 2 : h.startsWith('*.') ? 1 : 0);
  const ordered: HostRules[] = [...hosts.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([host, paths]) => ({ host, paths }));
  return { routes: { hosts: ordered, ...(defaultBackend ? { defaultBackend } : {}) }, errors };
}

/** The routes of a resolved lab model; throws InputErrors (exit 2) when an Ingress is bad. */
export function ingressRoutes(model: Pick<LabModel, 'ingresses' | 'services'>): IngressRoutes {
  const sources = (model.ingresses ?? []).map((object, i) => ({ object, path: `ingresses[${i}]` }));
  const { routes, errors } = parseIngresses(sources, model.services);
  if (errors.length) throw new InputErrors(errors);
  return routes;
}

/** True when the lab has any Ingress (and so needs the ingress container). */
export function hasIngress(model: Pick<LabModel, 'ingresses'>): boolean {
  return (model.ingresses ?? []).length > 0;
}
