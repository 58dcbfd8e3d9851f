/**
 * The topology file as written (phase one of loading): what the JSON Schema accepts, before
 * defaults, allocation and scheduling. Kubernetes objects keep only the fields the lab reads;
 * other standard Kubernetes fields are allowed by the schema and carried through untyped.
 */
import type { CniMode, IptablesBackend, ProxyMode } from '../model/types';

export interface RawCluster {
  podCIDR?: string;
  nodePodPrefix?: number;
  serviceCIDR?: string;
  domain?: string;
  dnsIP?: string;
  /** Cluster DNS add-on (coredns Deployment + kube-dns Service); false opts out. */
  dns?: boolean;
  /** Cluster DNS server: auto | coredns | offline (default auto). */
  dnsServer?: string;
  proxy?: string;
  iptablesBackend?: string;
  ipvsScheduler?: string;
  cni?: string;
  mtu?: number;
  nodePortRange?: string;
}

export interface RawSubnet {
  name: string;
  cidr: string;
  gateway?: string;
}

export interface RawNode {
  name: string;
  subnet?: string;
  ip?: string;
  podCIDR?: string;
  labels?: Record<string, string>;
  publicIP?: string;
}

/** The `edge:` section: the emulated Internet (see EDGE_DEFAULTS). */
export interface RawEdge {
  publicCIDR?: string;
  internetCIDR?: string;
  internetHost?: string;
  otherClientCIDR?: string;
  transitCIDR?: string;
  loadBalancerPool?: string;
  ingressIP?: string;
  nodePublicIPs?: boolean;
}

export interface RawTopology {
  name: string;
  prefix?: string;
  cluster?: RawCluster;
  vpc?: { subnets?: RawSubnet[] };
  nodes: RawNode[];
  manifests?: string[];
  objects?: KubeObject[];
  edge?: RawEdge;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export interface RawContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
  [k: string]: unknown;
}

export interface RawContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: RawContainerPort[];
  [k: string]: unknown;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface RawPodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
      [k: string]: unknown;
    };
    [k: string]: unknown;
  };
  hostname?: string;
  subdomain?: string;
  hostNetwork?: boolean;
  containers: RawContainer[];
  [k: string]: unknown;
}

export interface RawPod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: RawPodSpec;
  [k: string]: unknown;
}

export interface RawDeployment {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: ObjectMeta;
  spec: {
    replicas?: number;
    selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
    template: { metadata?: ObjectMeta; spec: RawPodSpec };
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface RawServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  [k: string]: unknown;
}

export interface RawService {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: ObjectMeta;
  spec?: {
    type?: string;
    selector?: Record<string, string>;
    ports?: RawServicePort[];
    clusterIP?: string;
    clusterIPs?: string[];
    ipFamilies?: string[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    internalTrafficPolicy?: string;
    externalTrafficPolicy?: string;
    healthCheckNodePort?: number;
    loadBalancerSourceRanges?: string[];
    externalName?: string;
    publishNotReadyAddresses?: boolean;
    allocateLoadBalancerNodePorts?: boolean;
    loadBalancerIP?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface RawNamespace {
  apiVersion: 'v1';
  kind: 'Namespace';
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export interface RawIngress {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'Ingress';
  metadata: ObjectMeta;
  spec?: unknown;
  [k: string]: unknown;
}

export interface RawNetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: ObjectMeta;
  spec?: unknown;
  [k: string]: unknown;
}

export type KubeObject = RawPod | RawDeployment | RawService | RawNamespace | RawIngress | RawNetworkPolicy;

/** A Kubernetes object with where it came from, for error messages. */
export interface SourcedObject {
  object: KubeObject;
  /** Field path prefix used in messages: `objects[3]` or `manifests/extra.yaml[1]`. */
  path: string;
}

/** Flags that override topology fields (validated like the fields, reported as `--proxy` etc.). */
export interface TopologyOverrides {
  name?: string;
  proxy?: ProxyMode;
  cni?: CniMode;
  iptablesBackend?: IptablesBackend;
  /** `lab up --force`: build host-gw across subnets anyway (its cross-subnet routes then fail). */
  force?: boolean;
  /** `lab up --dns-server`: the cluster DNS server asked for (auto | coredns | offline), validated like cluster.dnsServer. */
  dnsServer?: string;
  /** The server chosen at lab up: 'coredns' renders the DNS add-on's pods as CoreDNS container pods. */
  dnsServerChoice?: 'coredns' | 'offline';
  /** With dnsServerChoice coredns: the image its pods run (default coredns/coredns:1.11.3). */
  coreDnsImage?: string;
  /** `--allow-outside`: manifests may lie outside the topology file's directory tree. */
  allowOutside?: boolean;
}
