/**
 * The topology schema's Service, Namespace, Ingress and NetworkPolicy definitions, and the
 * KubeObject switch that picks a definition by kind (src/topology/schema.ts).
 */
import { DNS1035_LABEL_PATTERN, DNS1123_LABEL_PATTERN } from './names';
import { SERVICE_TYPES } from './defaults';
import {
  CIDR_PATTERN,
  Schema,
  accepted,
  bool,
  d,
  int,
  obj,
  objectMeta,
  statusField,
  str,
  strList,
  strMap,
} from './schema-builders';

export const servicePort = obj(
  'A Service port.',
  {
    name: str('Port name (DNS-1123 label); required when the Service has several ports, unique within the Service.', {
      pattern: DNS1123_LABEL_PATTERN,
      maxLength: 63,
    }),
    protocol: d('Protocol (default TCP).', { type: 'string', enum: ['TCP', 'UDP', 'SCTP'] }),
    port: int('Port of the ClusterIP.', { minimum: 1, maximum: 65535 }),
    targetPort: d('Pod port: a number, or the name of a container port (default: same as port).', {
      type: ['integer', 'string'],
      minimum: 1,
      maximum: 65535,
    }),
    nodePort: int('NodePort/LoadBalancer: port on every node (allocated from cluster.nodePortRange when absent).', {
      minimum: 1,
      maximum: 65535,
    }),
    ...accepted(['appProtocol']),
  },
  ['port'],
);

export const service = obj(
  'A Service: kube-proxy rules on every node steer its ClusterIP (and NodePorts) to the ready pods its selector matches.',
  {
    apiVersion: d('API version of Service.', { const: 'v1' }),
    kind: d('Object kind.', { const: 'Service' }),
    metadata: objectMeta(
      'Service name (DNS-1035 label: starts with a letter), unique in its namespace.',
      DNS1035_LABEL_PATTERN,
    ),
    spec: obj('Service spec.', {
      type: d('Service type (default ClusterIP).', { type: 'string', enum: [...SERVICE_TYPES] }),
      selector: strMap('Pods with all these labels are the endpoints.'),
      ports: d('Ports; at least one unless headless or ExternalName.', { type: 'array', items: servicePort }),
      clusterIP: str(
        'Fixed virtual IP inside cluster.serviceCIDR, "None" for a headless Service, absent to allocate one.',
      ),
      clusterIPs: strList('Same as clusterIP, as a list (single-stack IPv4: at most one entry).'),
      ipFamilies: strList('IP families; only IPv4 is supported.', { enum: ['IPv4', 'IPv6'] }),
      ipFamilyPolicy: d('IP family policy; only SingleStack is supported.', {
        type: 'string',
        enum: ['SingleStack', 'PreferDualStack', 'RequireDualStack'],
      }),
      sessionAffinity: d('ClientIP pins a client to one endpoint (default None).', {
        type: 'string',
        enum: ['None', 'ClientIP'],
      }),
      sessionAffinityConfig: obj('Session affinity settings.', {
        clientIP: obj('ClientIP affinity settings.', {
          timeoutSeconds: int('Affinity timeout (default 10800, at most 86400).', { minimum: 1, maximum: 86400 }),
        }),
      }),
      internalTrafficPolicy: d(
        'Local: in-cluster traffic only goes to endpoints on the client node (default Cluster).',
        {
          type: 'string',
          enum: ['Cluster', 'Local'],
        },
      ),
      externalTrafficPolicy: d(
        'NodePort/LoadBalancer: Local keeps the client IP and only uses endpoints on the receiving node (default Cluster).',
        {
          type: 'string',
          enum: ['Cluster', 'Local'],
        },
      ),
      healthCheckNodePort: int(
        'LoadBalancer with externalTrafficPolicy Local: health-check port (allocated when absent).',
        {
          minimum: 1,
          maximum: 65535,
        },
      ),
      loadBalancerSourceRanges: strList('LoadBalancer: client CIDRs allowed to use the load balancer.', {
        pattern: CIDR_PATTERN,
      }),
      externalName: str('ExternalName: the DNS name the Service is a CNAME for.'),
      publishNotReadyAddresses: bool('Publish endpoints that are not ready (default false).'),
      allocateLoadBalancerNodePorts: bool('LoadBalancer: allocate NodePorts (default true).'),
      ...accepted(['externalIPs', 'loadBalancerClass', 'loadBalancerIP', 'trafficDistribution']),
    }),
    ...statusField,
  },
  ['apiVersion', 'kind', 'metadata'],
);

export const namespace = obj(
  'A Namespace. default, kube-system, kube-public and kube-node-lease always exist.',
  {
    apiVersion: d('API version of Namespace.', { const: 'v1' }),
    kind: d('Object kind.', { const: 'Namespace' }),
    metadata: objectMeta('Namespace name (DNS-1123 label).'),
    ...accepted(['spec', 'status']),
  },
  ['apiVersion', 'kind', 'metadata'],
);

export const ingress = obj(
  'An Ingress (networking.k8s.io/v1). Kept as written for the ingress controller; its spec is not validated here.',
  {
    apiVersion: d('API version of Ingress.', { const: 'networking.k8s.io/v1' }),
    kind: d('Object kind.', { const: 'Ingress' }),
    metadata: objectMeta('Ingress name (DNS-1123 label).'),
    spec: d('Ingress spec (rules, tls, defaultBackend, ingressClassName).', { type: 'object' }),
    ...statusField,
  },
  ['apiVersion', 'kind', 'metadata'],
);

export const networkPolicy = obj(
  'A NetworkPolicy (networking.k8s.io/v1), enforced on every node and proven by lab verify ' +
    '(network-policy). Its spec is validated as the API server does (src/netpol/parse.ts); ' +
    'SCTP is refused.',
  {
    apiVersion: d('API version of NetworkPolicy.', { const: 'networking.k8s.io/v1' }),
    kind: d('Object kind.', { const: 'NetworkPolicy' }),
    metadata: objectMeta('NetworkPolicy name (DNS-1123 label).'),
    spec: d('NetworkPolicy spec: podSelector, policyTypes, ingress (from, ports), egress (to, ports).', {
      type: 'object',
    }),
  },
  ['apiVersion', 'kind', 'metadata', 'spec'],
);

export const KINDS: Record<string, string> = {
  Namespace: 'Namespace',
  Pod: 'Pod',
  Deployment: 'Deployment',
  Service: 'Service',
  Ingress: 'Ingress',
  NetworkPolicy: 'NetworkPolicy',
};

export const kubeObject: Schema = {
  description:
    'A Kubernetes object: Namespace, Pod, Deployment, Service, Ingress or NetworkPolicy, written as for kubectl apply.',
  type: 'object',
  required: ['apiVersion', 'kind'],
  properties: {
    apiVersion: str(
      'API version: v1 (Pod, Service, Namespace), apps/v1 (Deployment), networking.k8s.io/v1 (Ingress, NetworkPolicy).',
    ),
    kind: d('Object kind.', { type: 'string', enum: Object.keys(KINDS) }),
  },
  allOf: Object.keys(KINDS).map((k) => ({
    if: { properties: { kind: { const: k } }, required: ['kind'] },
    then: { $ref: `#/definitions/${k}` },
  })),
};
