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
  MTU_MAX,
  MTU_MIN,
} from './defaults';
import { DNS1123_LABEL_PATTERN } from './names';
import {
  CIDR_PATTERN,
  CONTAINER_PREFIX_PATTERN,
  IP_PATTERN,
  PORT_RANGE_PATTERN,
  Schema,
  bool,
  d,
  int,
  obj,
  str,
  strList,
  strMap,
} from './schema-builders';
import { deployment, pod, podSpec } from './schema-pod';
import { ingress, kubeObject, namespace, networkPolicy, service } from './schema-objects';

export const SCHEMA_ID = 'https://k8s-netlab.dev/schemas/topology.schema.json';

/** The topology file's JSON Schema (draft-07). */
export const topologySchema: Schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: SCHEMA_ID,
  title: 'k8s-netlab topology',
  description:
    'A lab: a VPC with subnets, Kubernetes nodes (containers) attached to it, cluster network ' +
    'settings, and the Kubernetes objects (Pods, Deployments, Services, Namespaces, Ingresses) ' +
    'to create.',
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
        'Cluster DNS add-on (default true): the loader adds, as kubeadm does, Deployment ' +
          'kube-system/coredns (k8s-app: kube-dns; knotd + unbound serving the cluster zone) and ' +
          'Service kube-system/kube-dns on dnsIP (53 UDP/TCP), and every pod gets a resolv.conf ' +
          'pointing at it. false leaves both out.',
      ),
      dnsServer: d(
        `Server the cluster DNS pods run (default ${DEFAULT_DNS_SERVER}), decided at lab up (lab up ` +
          '--dns-server overrides): coredns = the coredns/coredns:1.11.3 image (file plugin serving the ' +
          'rendered zones, reloaded within 1 s), and lab up fails (exit 2) when that image is neither ' +
          'present nor pullable; offline = knotd + unbound from the lab image (no registry needed); auto ' +
          '= coredns when its image is present locally or can be pulled within a few seconds, else offline. ' +
          'Both serve the same records.',
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
        `How pod traffic crosses nodes (default ${CLUSTER_DEFAULTS.cni}): vpc-routes (VPC route table ` +
          'entry per node pod block), host-gw (routes on the nodes, same subnet only), vxlan (flannel.1 ' +
          'overlay), vpc-native (pod IPs routed by the VPC).',
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
      'The emulated Internet (optional): an Internet gateway container with 1:1 NAT for node ' +
        'public IPs, an Internet host (HTTP "what is my IP" echo, DNS for names outside the ' +
        'cluster) and a cloud load balancer container for type LoadBalancer Services. `edge: {}` ' +
        'takes every default. No lab container has a route out of the machine.',
      {
        publicCIDR: str(
          "Public range: node public IPs (from .10 up), the gateway's own address (.1), the load balancer " +
            `pool and the ingress address (default ${EDGE_DEFAULTS.publicCIDR}).`,
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
          `Block of publicCIDR LoadBalancer Services take their external IP from (default ${EDGE_DEFAULTS.loadBalancerPool}); ` +
            'spec.loadBalancerIP must be inside it.',
          { pattern: CIDR_PATTERN },
        ),
        ingressIP: str(`Public address of the ingress container (default ${EDGE_DEFAULTS.ingressIP}).`, {
          pattern: IP_PATTERN,
        }),
        nodePublicIPs: bool(
          `Give every node without publicIP an address from publicCIDR (default ${EDGE_DEFAULTS.nodePublicIPs}); ` +
            "nodes without one reach the Internet through the gateway's own address.",
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

/**
 * Writes the schema as the committed JSON file (2-space indent, trailing newline).
 * @public `npm run schema` calls it from dist/.
 */
export function writeSchemaFile(path: string): void {
  writeFileSync(path, schemaFileText());
}

export function schemaFileText(): string {
  return JSON.stringify(topologySchema, null, 2) + '\n';
}
