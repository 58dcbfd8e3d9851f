/**
 * The topology schema's Pod and Deployment definitions (src/topology/schema.ts): the pod spec
 * fields the lab interprets (containers, ports, probes, scheduling, DNS) and the accepted rest.
 */
import { DNS1123_LABEL_PATTERN } from './names';
import { Schema, accepted, bool, d, int, obj, objectMeta, statusField, str, strList, strMap } from './schema-builders';

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
    `${kind} probe, run by the lab's kubelet as Kubernetes does (${what}). httpGet and tcpSocket ` +
      'go from the node to the pod IP; exec runs in the pod. Defaults: periodSeconds 10, timeoutSeconds ' +
      '1, successThreshold 1, failureThreshold 3, initialDelaySeconds 0. One-shot commands (lab up, ' +
      'scale, apply, status) run readiness/startup probes once; lab watch runs all three periodically ' +
      'with the thresholds.',
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
  'A container of the pod. Today the lab runs netexec servers as processes in the pod ' +
    'network namespace: image *agnhost* with args starting `netexec`, or image netexec / ' +
    'k8s-netlab/netexec with netexec flags as args (--http-port, default 8080; --udp-port, ' +
    'default 8081, 0 disables; --http-bind/--udp-bind, default 0.0.0.0, 127.0.0.1 keeps it ' +
    'inside the pod).',
  {
    name: str('Container name, unique in the pod (DNS-1123 label).', { pattern: DNS1123_LABEL_PATTERN, maxLength: 63 }),
    image: str(
      'Image: agnhost/netexec images run as netexec processes (see above); any other image runs ' +
        'as a container pod (a Docker container plumbed onto the node pod network; at most one ' +
        'container per such pod).',
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

export const podSpec = obj(
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

export const pod = obj(
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

export const deployment = obj(
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
