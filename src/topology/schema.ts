/**
 * The JSON Schema (draft-07) of the topology file. It is both the validator load.ts runs and the
 * documentation editors show (every field has a description); schemas/topology.schema.json is
 * generated from it by writeSchemaFile() and a test keeps the two equal.
 *
 * Lab fields are strict (unknown fields are errors). Inside Kubernetes objects the fields the lab
 * interprets are typed; the other standard Kubernetes fields are listed as accepted so a typo is
 * still reported but a manifest copied from a real cluster loads.
 */
import { writeFileSync } from 'fs';
import {
  CLUSTER_DEFAULTS,
  CNI_MODES,
  DEFAULT_DNS_SERVER,
  DNS_SERVERS,
  EDGE_DEFAULTS,
  IPTABLES_BACKENDS,
  IPVS_SCHEDULERS,
  PROXY_MODES,
  SERVICE_TYPES,
  MTU_MAX,
  MTU_MIN,
} from './defaults';
import { DNS1035_LABEL_PATTERN, DNS1123_LABEL_PATTERN } from './names';

type Schema = Record<string, unknown>;

export const CIDR_PATTERN = '^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$';
export const IP_PATTERN = '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$';
export const PORT_RANGE_PATTERN = '^[0-9]{1,5}-[0-9]{1,5}$';
export const CONTAINER_PREFIX_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$';

/** Human wording of the patterns above, used when a value fails one. */
export const PATTERN_TEXT: Record<string, { message: string; hint: string }> = {
  [DNS1123_LABEL_PATTERN]: {
    message: 'must be a DNS-1123 label',
    hint: "use lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. node1, my-pod)",
  },
  [DNS1035_LABEL_PATTERN]: {
    message: 'must be a DNS-1035 label',
    hint: "use lower-case letters, digits and '-', starting with a letter and ending with a letter or digit (e.g. web, my-svc)",
  },
  [CIDR_PATTERN]: { message: 'must be an IPv4 CIDR', hint: 'write it as address/prefix, e.g. 10.0.1.0/24' },
  [IP_PATTERN]: { message: 'must be an IPv4 address', hint: 'write it as a dotted quad, e.g. 10.0.1.11' },
  [PORT_RANGE_PATTERN]: { message: 'must be a port range', hint: 'write it as first-last, e.g. 30000-32767' },
  [CONTAINER_PREFIX_PATTERN]: {
    message: 'must be usable in Docker container names',
    hint: "use letters, digits, '_', '.' and '-', starting with a letter or digit",
  },
};

const d = (description: string, s: Schema = {}): Schema => ({ description, ...s });
const str = (description: string, s: Schema = {}): Schema => d(description, { type: 'string', ...s });
const int = (description: string, s: Schema = {}): Schema => d(description, { type: 'integer', ...s });
const bool = (description: string): Schema => d(description, { type: 'boolean' });
const strMap = (description: string): Schema =>
  d(description, {
    type: 'object',
    additionalProperties: { type: 'string', description: 'A label value (string; quote numbers and booleans).' },
  });
const strList = (description: string, item: Schema = {}): Schema =>
  d(description, { type: 'array', items: { type: 'string', description: 'One entry.', ...item } });
const obj = (
  description: string,
  properties: Record<string, Schema>,
  required: string[] = [],
  extra: Schema = {},
): Schema => ({
  description,
  type: 'object',
  additionalProperties: false,
  ...(required.length ? { required } : {}),
  properties,
  ...extra,
});

/** Standard Kubernetes fields the lab accepts but does not act on. */
function accepted(names: string[]): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const n of names)
    out[n] = { description: `Standard Kubernetes field (${n}); accepted, not interpreted by the lab.` };
  return out;
}

function objectMeta(nameDescription: string, namePattern = DNS1123_LABEL_PATTERN): Schema {
  return obj(
    'Standard Kubernetes object metadata.',
    {
      name: str(nameDescription, { pattern: namePattern, maxLength: 63 }),
      namespace: str(
        'Namespace of the object (default: default). Must be a built-in namespace or one declared by a Namespace object.',
        {
          pattern: DNS1123_LABEL_PATTERN,
          maxLength: 63,
        },
      ),
      labels: strMap('Labels; Service selectors and Deployment selectors match these.'),
      annotations: d('Annotations; kept, not interpreted.', {
        type: 'object',
        additionalProperties: { type: 'string', description: 'An annotation value.' },
      }),
      ...accepted([
        'generateName',
        'uid',
        'resourceVersion',
        'generation',
        'creationTimestamp',
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
        'ownerReferences',
        'finalizers',
        'managedFields',
        'selfLink',
      ]),
    },
    ['name'],
  );
}

const nodeSelectorRequirement = obj(
  'A node selector requirement: key, operator and values, matched against node labels (matchExpressions) or fields (matchFields: metadata.name).',
  {
    key: str('Label key (or metadata.name in matchFields).'),
    operator: d('How the key is matched.', {
      type: 'string',
      enum: ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'],
    }),
    values: strList('Values for In/NotIn (one or more), Gt/Lt (exactly one integer); empty for Exists/DoesNotExist.'),
  },
  ['key', 'operator'],
);

const affinity = obj(
  'Scheduling constraints. The lab interprets nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.',
  {
    nodeAffinity: obj('Node affinity.', {
      requiredDuringSchedulingIgnoredDuringExecution: obj(
        'Hard node constraint: the pod goes only to nodes matching at least one term (terms are ORed, expressions in a term ANDed).',
        {
          nodeSelectorTerms: d('Terms; a node must match one of them.', {
            type: 'array',
            minItems: 1,
            items: obj('A node selector term.', {
              matchExpressions: d('Requirements on node labels.', { type: 'array', items: nodeSelectorRequirement }),
              matchFields: d('Requirements on node fields (metadata.name).', {
                type: 'array',
                items: nodeSelectorRequirement,
              }),
            }),
          }),
        },
        ['nodeSelectorTerms'],
      ),
      ...accepted(['preferredDuringSchedulingIgnoredDuringExecution']),
    }),
    ...accepted(['podAffinity', 'podAntiAffinity']),
  },
);

const containerPort = obj(
  'A port the container exposes (informational in Kubernetes; named ports are what Service targetPort names resolve to).',
  {
    name: str(
      'Port name (IANA_SVC_NAME: up to 15 lower-case letters, digits and -); a Service targetPort may refer to it.',
    ),
    containerPort: int('Port number the process listens on.', { minimum: 1, maximum: 65535 }),
    protocol: d('Protocol (default TCP).', { type: 'string', enum: ['TCP', 'UDP', 'SCTP'] }),
    ...accepted(['hostIP', 'hostPort']),
  },
  ['containerPort'],
);

const probePort = d("Port: a number, or the name of one of the container's ports.", { type: ['integer', 'string'] });
const probe = (kind: string, what: string): Schema =>
  obj(
    `${kind} probe, run by the lab's kubelet as Kubernetes does (${what}). httpGet and tcpSocket go from the node to the pod IP; exec runs in the pod. Defaults: periodSeconds 10, timeoutSeconds 1, successThreshold 1, failureThreshold 3, initialDelaySeconds 0. One-shot commands (lab up, scale, apply, status) run readiness/startup probes once; lab watch runs all three periodically with the thresholds.`,
    {
      httpGet: obj(
        'HTTP GET; 200-399 is success.',
        {
          path: str('Path (default /).'),
          port: probePort,
          host: str('Host to connect to (default: the pod IP).'),
          scheme: d('HTTP or HTTPS (certificate not verified).', { type: 'string', enum: ['HTTP', 'HTTPS'] }),
          httpHeaders: d('Extra request headers.', {
            type: 'array',
            items: obj('A header.', { name: str('Header name.'), value: str('Header value.') }, ['name', 'value']),
          }),
        },
        ['port'],
      ),
      tcpSocket: obj(
        'TCP connect; success when the connection opens.',
        { port: probePort, host: str('Host to connect to (default: the pod IP).') },
        ['port'],
      ),
      exec: obj(
        'Command run in the pod; exit 0 is success.',
        { command: strList('argv (no shell unless you run one).') },
        ['command'],
      ),
      grpc: d('gRPC health check: not supported by the lab (refused with an error).'),
      initialDelaySeconds: int('Seconds after the container starts before the first probe (default 0).', {
        minimum: 0,
      }),
      periodSeconds: int('Seconds between probes (default 10).', { minimum: 1 }),
      timeoutSeconds: int('Seconds before a probe times out (default 1).', { minimum: 1 }),
      successThreshold: int(
        'Consecutive successes to count as success (default 1; must be 1 for liveness and startup).',
        { minimum: 1 },
      ),
      failureThreshold: int('Consecutive failures to count as failure (default 3).', { minimum: 1 }),
      ...accepted(['terminationGracePeriodSeconds']),
    },
  );

const container = obj(
  'A container of the pod. Today the lab runs netexec servers as processes in the pod network namespace: image *agnhost* with args starting `netexec`, or image netexec / k8s-netlab/netexec with netexec flags as args (--http-port, default 8080; --udp-port, default 8081, 0 disables; --http-bind/--udp-bind, default 0.0.0.0, 127.0.0.1 keeps it inside the pod).',
  {
    name: str('Container name, unique in the pod (DNS-1123 label).', { pattern: DNS1123_LABEL_PATTERN, maxLength: 63 }),
    image: str(
      'Image: agnhost/netexec images run as netexec processes (see above); any other image runs as a container pod (a Docker container plumbed onto the node pod network; at most one container per such pod).',
    ),
    command: strList('Entrypoint; for agnhost, [/agnhost, netexec, ...flags] is accepted like args.'),
    args: strList('Arguments: for agnhost `netexec` then flags; for netexec images the flags.'),
    ports: d('Ports the container exposes.', { type: 'array', items: containerPort }),
    livenessProbe: probe('Liveness', 'lab watch restarts the container after failureThreshold failures'),
    readinessProbe: probe('Readiness', "a failing pod leaves every Service's endpoints: every node's rules and DNS"),
    startupProbe: probe('Startup', 'liveness and readiness wait until it succeeds'),
    ...accepted([
      'env',
      'envFrom',
      'imagePullPolicy',
      'lifecycle',
      'resizePolicy',
      'resources',
      'restartPolicy',
      'securityContext',
      'stdin',
      'stdinOnce',
      'terminationMessagePath',
      'terminationMessagePolicy',
      'tty',
      'volumeDevices',
      'volumeMounts',
      'workingDir',
    ]),
  },
  ['name', 'image'],
);

const podSpec = obj(
  'Pod spec. The lab interprets nodeName, nodeSelector, affinity.nodeAffinity, hostname, subdomain, hostAliases and containers.',
  {
    nodeName: str('Pin the pod to this node (skips the scheduler).'),
    nodeSelector: strMap(
      'Only nodes having all these labels are eligible (kubernetes.io/hostname=<node> is always set).',
    ),
    affinity,
    hostname: str('Pod hostname (DNS-1123 label); with subdomain gives a DNS A record under a headless Service.', {
      pattern: DNS1123_LABEL_PATTERN,
      maxLength: 63,
    }),
    subdomain: str('Subdomain (name of a headless Service) for hostname records.', {
      pattern: DNS1123_LABEL_PATTERN,
      maxLength: 63,
    }),
    hostAliases: d('Extra /etc/hosts entries the kubelet writes into the pod, one line per entry: {ip, hostnames}.', {
      type: 'array',
      items: {
        type: 'object',
        required: ['ip'],
        properties: {
          ip: { type: 'string', description: 'The address the hostnames resolve to in the pod.' },
          hostnames: {
            type: 'array',
            items: { type: 'string' },
            description: 'Names for the address (DNS-1123 subdomains), written on one line.',
          },
        },
      },
    }),
    hostNetwork: bool('Run in the node network namespace. Not supported by the lab yet (must be false).'),
    containers: d('The pod containers.', { type: 'array', minItems: 1, items: container }),
    ...accepted([
      'activeDeadlineSeconds',
      'automountServiceAccountToken',
      'dnsConfig',
      'dnsPolicy',
      'enableServiceLinks',
      'ephemeralContainers',
      'hostIPC',
      'hostPID',
      'hostUsers',
      'imagePullSecrets',
      'initContainers',
      'os',
      'overhead',
      'preemptionPolicy',
      'priority',
      'priorityClassName',
      'readinessGates',
      'resourceClaims',
      'resources',
      'restartPolicy',
      'runtimeClassName',
      'schedulerName',
      'schedulingGates',
      'securityContext',
      'serviceAccount',
      'serviceAccountName',
      'setHostnameAsFQDN',
      'shareProcessNamespace',
      'terminationGracePeriodSeconds',
      'tolerations',
      'topologySpreadConstraints',
      'volumes',
    ]),
  },
  ['containers'],
);

const statusField = accepted(['status']);

const pod = obj(
  'A Pod: a network namespace in its node (cbr0 bridge, veth pair, host-local IP) running its containers.',
  {
    apiVersion: d('API version of Pod.', { const: 'v1' }),
    kind: d('Object kind.', { const: 'Pod' }),
    metadata: objectMeta('Pod name (DNS-1123 label), unique in its namespace.'),
    spec: { description: 'Pod spec (see PodSpec).', allOf: [{ $ref: '#/definitions/PodSpec' }] },
    ...statusField,
  },
  ['apiVersion', 'kind', 'metadata', 'spec'],
);

const deployment = obj(
  'A Deployment: the lab creates spec.replicas pods from the template, named <deployment>-<pod-template-hash>-<suffix>, and schedules them.',
  {
    apiVersion: d('API version of Deployment.', { const: 'apps/v1' }),
    kind: d('Object kind.', { const: 'Deployment' }),
    metadata: objectMeta('Deployment name (DNS-1123 label), unique in its namespace.'),
    spec: obj(
      'Deployment spec.',
      {
        replicas: int('Number of pods (default 1).', { minimum: 0 }),
        selector: obj('Label selector of the pods; must match the template labels.', {
          matchLabels: strMap('Labels the pods must have.'),
          matchExpressions: d('Set-based requirements. Not supported by the lab yet (use matchLabels).', {
            type: 'array',
          }),
        }),
        template: obj(
          'Pod template.',
          {
            metadata: obj('Template metadata.', {
              labels: strMap('Labels of the created pods.'),
              annotations: d('Annotations; kept, not interpreted.', {
                type: 'object',
                additionalProperties: { type: 'string', description: 'An annotation value.' },
              }),
              ...accepted(['name', 'namespace', 'generateName', 'creationTimestamp']),
            }),
            spec: { description: 'Pod spec (see PodSpec).', allOf: [{ $ref: '#/definitions/PodSpec' }] },
          },
          ['spec'],
        ),
        ...accepted(['minReadySeconds', 'paused', 'progressDeadlineSeconds', 'revisionHistoryLimit', 'strategy']),
      },
      ['selector', 'template'],
    ),
    ...statusField,
  },
  ['apiVersion', 'kind', 'metadata', 'spec'],
);

const servicePort = obj(
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

const service = obj(
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

const namespace = obj(
  'A Namespace. default, kube-system, kube-public and kube-node-lease always exist.',
  {
    apiVersion: d('API version of Namespace.', { const: 'v1' }),
    kind: d('Object kind.', { const: 'Namespace' }),
    metadata: objectMeta('Namespace name (DNS-1123 label).'),
    ...accepted(['spec', 'status']),
  },
  ['apiVersion', 'kind', 'metadata'],
);

const ingress = obj(
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

const networkPolicy = obj(
  'A NetworkPolicy (networking.k8s.io/v1), enforced on every node and proven by lab verify (network-policy). Its spec is validated as the API server does (src/netpol/parse.ts); SCTP is refused.',
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

const KINDS: Record<string, string> = {
  Namespace: 'Namespace',
  Pod: 'Pod',
  Deployment: 'Deployment',
  Service: 'Service',
  Ingress: 'Ingress',
  NetworkPolicy: 'NetworkPolicy',
};

const kubeObject: Schema = {
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

export const SCHEMA_ID = 'https://k8s-netlab.dev/schemas/topology.schema.json';

/** The topology file's JSON Schema (draft-07). */
export const topologySchema: Schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: SCHEMA_ID,
  title: 'k8s-netlab topology',
  description:
    'A lab: a VPC with subnets, Kubernetes nodes (containers) attached to it, cluster network settings, and the Kubernetes objects (Pods, Deployments, Services, Namespaces, Ingresses) to create.',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'nodes'],
  properties: {
    name: str('Lab name (DNS-1123 label); containers are named <prefix>-<name>-<node>.', {
      pattern: DNS1123_LABEL_PATTERN,
      maxLength: 63,
    }),
    prefix: str(`Container name prefix (default ${'k8s-netlab'}).`, { pattern: CONTAINER_PREFIX_PATTERN }),
    cluster: obj('Cluster network settings; every field is optional.', {
      podCIDR: str(`Cluster pod CIDR, split into one block per node (default ${CLUSTER_DEFAULTS.podCIDR}).`, {
        pattern: CIDR_PATTERN,
      }),
      nodePodPrefix: int(`Prefix length of each node pod block (default ${CLUSTER_DEFAULTS.nodePodPrefix}).`, {
        minimum: 1,
        maximum: 30,
      }),
      serviceCIDR: str(`Service ClusterIP range (default ${CLUSTER_DEFAULTS.serviceCIDR}).`, { pattern: CIDR_PATTERN }),
      domain: str(`Cluster DNS domain (default ${CLUSTER_DEFAULTS.domain}).`),
      dnsIP: str(`ClusterIP of the cluster DNS Service, inside serviceCIDR (default ${CLUSTER_DEFAULTS.dnsIP}).`, {
        pattern: IP_PATTERN,
      }),
      dns: bool(
        'Cluster DNS add-on (default true): the loader adds, as kubeadm does, Deployment kube-system/coredns (k8s-app: kube-dns; knotd + unbound serving the cluster zone) and Service kube-system/kube-dns on dnsIP (53 UDP/TCP), and every pod gets a resolv.conf pointing at it. false leaves both out.',
      ),
      dnsServer: d(
        `Server the cluster DNS pods run (default ${DEFAULT_DNS_SERVER}), decided at lab up (lab up --dns-server overrides): coredns = the coredns/coredns:1.11.3 image (file plugin serving the rendered zones, reloaded within 1 s), and lab up fails (exit 2) when that image is neither present nor pullable; offline = knotd + unbound from the lab image (no registry needed); auto = coredns when its image is present locally or can be pulled within a few seconds, else offline. Both serve the same records.`,
        { type: 'string', enum: [...DNS_SERVERS] },
      ),
      proxy: d(`kube-proxy mode (default ${CLUSTER_DEFAULTS.proxy}).`, { type: 'string', enum: [...PROXY_MODES] }),
      iptablesBackend: d(`iptables backend of the nodes (default ${CLUSTER_DEFAULTS.iptablesBackend}).`, {
        type: 'string',
        enum: [...IPTABLES_BACKENDS],
      }),
      ipvsScheduler: d(`IPVS scheduler when proxy is ipvs (default ${CLUSTER_DEFAULTS.ipvsScheduler}).`, {
        type: 'string',
        enum: [...IPVS_SCHEDULERS],
      }),
      cni: d(
        `How pod traffic crosses nodes (default ${CLUSTER_DEFAULTS.cni}): vpc-routes (VPC route table entry per node pod block), host-gw (routes on the nodes, same subnet only), vxlan (flannel.1 overlay), vpc-native (pod IPs routed by the VPC).`,
        { type: 'string', enum: [...CNI_MODES] },
      ),
      mtu: int(`MTU of the node links (default ${CLUSTER_DEFAULTS.mtu}).`, { minimum: MTU_MIN, maximum: MTU_MAX }),
      nodePortRange: str(`NodePort range first-last (default ${CLUSTER_DEFAULTS.nodePortRange}).`, {
        pattern: PORT_RANGE_PATTERN,
      }),
    }),
    vpc: obj('The VPC: one router container with a leg in every subnet.', {
      subnets: d('Subnets (default: one, subnet-a 10.0.1.0/24).', {
        type: 'array',
        minItems: 1,
        items: obj(
          'A VPC subnet: one L2 segment on the VPC router.',
          {
            name: str('Subnet name (DNS-1123 label).', { pattern: DNS1123_LABEL_PATTERN, maxLength: 63 }),
            cidr: str('Subnet CIDR, e.g. 10.0.1.0/24.', { pattern: CIDR_PATTERN }),
            gateway: str('VPC router address on the subnet (default: first host, .1).', { pattern: IP_PATTERN }),
          },
          ['name', 'cidr'],
        ),
      }),
    }),
    nodes: d('Kubernetes nodes, in order (pod blocks are allocated in this order).', {
      type: 'array',
      minItems: 1,
      items: obj(
        'A Kubernetes node: a container with eth0 in a VPC subnet and cbr0 for its pods.',
        {
          name: str('Node name (DNS-1123 label); also its kubernetes.io/hostname label.', {
            pattern: DNS1123_LABEL_PATTERN,
            maxLength: 63,
          }),
          subnet: str('Subnet of the node (optional when there is one subnet).'),
          ip: str('Node address in its subnet (default: allocated from .10 up).', { pattern: IP_PATTERN }),
          podCIDR: str(
            'Node pod block inside cluster.podCIDR (default: next free block of nodePodPrefix, in node order).',
            {
              pattern: CIDR_PATTERN,
            },
          ),
          labels: strMap('Node labels, for nodeSelector and node affinity.'),
          publicIP: str('Public address an Internet gateway maps 1:1 to this node (optional).', {
            pattern: IP_PATTERN,
          }),
        },
        ['name'],
      ),
    }),
    edge: obj(
      'The emulated Internet (optional): an Internet gateway container with 1:1 NAT for node public IPs, an Internet host (HTTP "what is my IP" echo, DNS for names outside the cluster) and a cloud load balancer container for type LoadBalancer Services. `edge: {}` takes every default. No lab container has a route out of the machine.',
      {
        publicCIDR: str(
          `Public range: node public IPs (from .10 up), the gateway's own address (.1), the load balancer pool and the ingress address (default ${EDGE_DEFAULTS.publicCIDR}).`,
          { pattern: CIDR_PATTERN },
        ),
        internetCIDR: str(
          `The Internet network between the gateway (.1) and the Internet host (default ${EDGE_DEFAULTS.internetCIDR}).`,
          { pattern: CIDR_PATTERN },
        ),
        internetHost: str(`Address of the Internet host (default ${EDGE_DEFAULTS.internetHost}).`, {
          pattern: IP_PATTERN,
        }),
        otherClientCIDR: str(
          `A second client network the Internet host also holds (.10), to test loadBalancerSourceRanges (default ${EDGE_DEFAULTS.otherClientCIDR}).`,
          { pattern: CIDR_PATTERN },
        ),
        transitCIDR: str(
          `Range cut into /30 links between the VPC router and the gateway, load balancer and ingress (default ${EDGE_DEFAULTS.transitCIDR}).`,
          { pattern: CIDR_PATTERN },
        ),
        loadBalancerPool: str(
          `Block of publicCIDR LoadBalancer Services take their external IP from (default ${EDGE_DEFAULTS.loadBalancerPool}); spec.loadBalancerIP must be inside it.`,
          { pattern: CIDR_PATTERN },
        ),
        ingressIP: str(`Public address of the ingress container (default ${EDGE_DEFAULTS.ingressIP}).`, {
          pattern: IP_PATTERN,
        }),
        nodePublicIPs: bool(
          `Give every node without publicIP an address from publicCIDR (default ${EDGE_DEFAULTS.nodePublicIPs}); nodes without one reach the Internet through the gateway's own address.`,
        ),
      },
    ),
    faults: d(
      'Faults lab watch injects on the running lab (as lab fault inject does), each after an optional start delay from the start of lab watch, and cleared after an optional duration.',
      {
        type: 'array',
        items: obj(
          'A fault: kind and target as lab fault inject KIND TARGET takes them.',
          {
            kind: str(
              'node-freeze, node-stop, pod-kill, partition, link-loss, pod-unready, dns-down, link-down, proxy-stuck, lb-backend-down.',
            ),
            target: str('A node; ns/pod for pod-kill and pod-unready; all or ns/pod for dns-down.'),
            from: str('partition: the other node.'),
            percent: int('link-loss: percent of packets dropped each way (1-100).', { minimum: 1, maximum: 100 }),
            after: d('Start delay: 10s, 1.5m, 500ms, or seconds (default 0).', { type: ['string', 'number'] }),
            duration: d('Cleared this long after it is injected (default: until lab fault clear).', {
              type: ['string', 'number'],
            }),
          },
          ['kind', 'target'],
        ),
      },
    ),
    manifests: strList('Files of Kubernetes objects (multi-document YAML), relative to this file.'),
    objects: d('Kubernetes objects, inline.', { type: 'array', items: { $ref: '#/definitions/KubeObject' } }),
  },
  definitions: {
    KubeObject: kubeObject,
    Namespace: namespace,
    Pod: pod,
    PodSpec: podSpec,
    Deployment: deployment,
    Service: service,
    Ingress: ingress,
    NetworkPolicy: networkPolicy,
  },
};

/** Writes the schema as the committed JSON file (2-space indent, trailing newline). */
export function writeSchemaFile(path: string): void {
  writeFileSync(path, schemaFileText());
}

export function schemaFileText(): string {
  return JSON.stringify(topologySchema, null, 2) + '\n';
}
