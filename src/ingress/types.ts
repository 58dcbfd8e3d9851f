/**
 * Ingress routes: the Ingress objects of a lab (networking.k8s.io/v1) checked and flattened into
 * what the L7 load balancer needs: per host, the paths and the Service NodePort each one reaches.
 * Pure data, produced by src/ingress/parse.ts, read by the matcher and the nginx renderer.
 */

/**
 * ImplementationSpecific is matched as ingress-nginx does (without use-regex): an nginx prefix
 * location on the path as written, i.e. a string prefix (/foo matches /foobar); only Prefix gets
 * the element-wise `/foo/` + `= /foo` pair (internal/ingress/controller/controller.go
 * updateServerLocations, "only Prefix locations could require an additional location block").
 */
export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/**
 * Per-Ingress annotation choosing how the lab's L7 load balancer reaches a backend Service:
 * `nodeport` (the default: every node's NodePort, as an ALB in instance mode) or `endpoints`
 * (the Service's ready pod endpoints directly, as ingress-nginx and an ALB in IP mode do; the
 * Service may then be a ClusterIP; nginx follows endpoint changes on every kube-proxy sync).
 */
export const BACKEND_MODE_ANNOTATION = 'k8s-netlab.dev/backend-mode';

/** A Service port an Ingress sends to, resolved to its NodePort (ALB "instance" target mode). */
export interface BackendRef {
  namespace: string;
  service: string;
  /** The Service port (spec.ports[].port). */
  port: number;
  portName?: string;
  nodePort: number;
  /** 'endpoints': to the ready endpoints (pod IP:targetPort); absent: to every node's NodePort. */
  mode?: 'endpoints';
}

export interface PathRule {
  /** As written (Exact), or without its trailing slash (Prefix; `/` stays `/`). */
  path: string;
  pathType: PathType;
  backend: BackendRef;
  /** `namespace/name` of the Ingress that declared it. */
  ingress: string;
  /** Field path of the rule, for messages (`objects[7].spec.rules[0].http.paths[1]`). */
  field: string;
}

export interface HostRules {
  /** `web.example.com`, `*.apps.example.com`, or '' for rules without a host (any host). */
  host: string;
  paths: PathRule[];
}

export interface DefaultBackend {
  backend: BackendRef;
  ingress: string;
  field: string;
}

export interface IngressRoutes {
  /** Exact hosts first, then wildcards, then '' (any host); each host once, paths merged. */
  hosts: HostRules[];
  defaultBackend?: DefaultBackend;
}

/** Upstream name of a backend: `<ns>_<svc>_<port>` ('_' never occurs in DNS labels, so names are unique). */
export function upstreamName(b: BackendRef): string {
  return `${b.namespace}_${b.service}_${b.port}${b.mode === 'endpoints' ? '_endpoints' : ''}`;
}

export function backendLabel(b: BackendRef): string {
  return `${b.namespace}/${b.service}:${b.portName ?? b.port}`;
}
