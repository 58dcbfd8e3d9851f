/**
 * The resolved lab model: what `lab up` builds. Produced from a raw topology file by
 * src/topology/resolve.ts (phase two of loading), stored with the running lab, and read by
 * every command. Everything here is plain data so plans can be rendered by pure functions.
 */
import type { NetworkPolicyModel } from './netpol';

export type ProxyMode = 'iptables' | 'nftables' | 'ipvs';
export type IptablesBackend = 'nft' | 'legacy';
export type CniMode = 'vpc-routes' | 'host-gw' | 'vxlan' | 'vpc-native';

/** Roles carried in the `k8s-netlab.role` label. */
export type Role = 'node' | 'vpc' | 'igw' | 'internet' | 'lb' | 'dns' | 'ingress' | 'pod' | 'helper';

export const LABEL_LAB = 'k8s-netlab.lab';
export const LABEL_ROLE = 'k8s-netlab.role';
export const LABEL_NODE = 'k8s-netlab.node';

/** cluster.dnsServer: CoreDNS when its image can be had (auto), CoreDNS or nothing, or the offline server (knotd + unbound). */
export type DnsServerSetting = 'auto' | 'coredns' | 'offline';

/** The cluster DNS server chosen at `lab up` (src/topology/dns-server.ts chooseDnsServer). */
export interface DnsServerChoice {
  /** What was asked for. */
  requested: DnsServerSetting;
  /** What the DNS pods run. */
  server: 'coredns' | 'offline';
  /** Why, in words (`image coredns/coredns:1.11.3 present locally`, `... unavailable: ... no such host`). */
  reason: string;
  /** coredns: the image of the DNS pods. */
  image?: string;
  /** coredns: absolute host directory holding one directory per DNS pod (Corefile, zones/), bind-mounted read-only at /etc/coredns. */
  filesDir?: string;
}

export interface ClusterSettings {
  /** Cluster-wide pod CIDR, split into one block per node (kind: 10.244.0.0/16, /24 each). */
  podCIDR: string;
  /** Prefix length of each node's pod block. */
  nodePodPrefix: number;
  serviceCIDR: string;
  /** Cluster DNS domain (cluster.local). */
  domain: string;
  /** The kube-dns Service VIP (10.96.0.10 by default). */
  dnsIP: string;
  /** Cluster DNS (the coredns Deployment and kube-dns Service) added by the loader; false opts out. Absent means true. */
  dns?: boolean;
  /** Which server the cluster DNS pods run, as asked (cluster.dnsServer / lab up --dns-server); absent means auto. What runs is LabModel.dnsServer. */
  dnsServer?: DnsServerSetting;
  proxy: ProxyMode;
  iptablesBackend: IptablesBackend;
  /** IPVS scheduler when proxy is ipvs. */
  ipvsScheduler: string;
  cni: CniMode;
  /** MTU of the node links; pods get this minus any overlay overhead. */
  mtu: number;
  nodePortRange: [number, number];
}

export interface Subnet {
  name: string;
  cidr: string;
  /** The VPC router's address on this subnet; nodes' default gateway. */
  gateway: string;
  /** Bridge name inside the VPC router container that makes this subnet one L2 segment. */
  bridge: string;
}

export interface NodeModel {
  name: string;
  /** Docker container name: <prefix>-<lab>-<node>. */
  container: string;
  labels: Record<string, string>;
  subnet: string;
  /** The node's VPC address (eth0). */
  ip: string;
  prefixLen: number;
  gateway: string;
  podCIDR: string;
  /** First address of the pod block, held by cbr0: the pods' default gateway. */
  cbr0IP: string;
  /** Interface name on the VPC router's side of this node's link. */
  vpcIface: string;
  /** Optional public address the Internet gateway maps 1:1 to this node (edge issue). */
  publicIP?: string;
  /** host-local's round-robin cursor for the node's pod block (its last_reserved_ip): new pods get the next free address after it. */
  lastReservedIP?: string;
}

/** A container of a pod run as a process in the pod's namespace (the lab's netexec server). */
export interface PodContainer {
  /**
   * What runs: 'netexec' = the lab's netexec server as a process in the pod netns (the default);
   * 'dns' = the offline cluster DNS server (knotd + unbound) as processes in the pod netns;
   * 'container' = a real Docker container of `image` whose network namespace is plumbed onto
   * the node's cbr0 like a pod's (a "container pod", see src/lab/container-pods.ts).
   */
  kind?: 'netexec' | 'dns' | 'container';
  name: string;
  image: string;
  /** kind 'container': Kubernetes `command` (the image's ENTRYPOINT is replaced) and `args` (its CMD). */
  command?: string[];
  args?: string[];
  /** kind 'container': environment as NAME=value. */
  env?: string[];
  /** The netexec server's HTTP port, if it serves HTTP. */
  httpPort?: number;
  /** The netexec server's UDP port, if it serves UDP. */
  udpPort?: number;
  /** Address the server binds (0.0.0.0 by default; 127.0.0.1 keeps it inside the pod). */
  bind: string;
  ports: ContainerPort[];
  /** startupProbe / livenessProbe / readinessProbe, run by the lab's kubelet (src/plan/probe.ts). */
  probes?: ContainerProbes;
}

import type { ContainerProbes } from './probe';

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface PodModel {
  name: string;
  namespace: string;
  node: string;
  ip: string;
  labels: Record<string, string>;
  /** Network namespace name inside the node container (ip netns). */
  netns: string;
  /** Host-side veth name on cbr0 (the peer is eth0 in the pod). */
  hostVeth: string;
  containers: PodContainer[];
  /** Owning Deployment, if any. */
  owner?: string;
  hostname?: string;
  subdomain?: string;
  /** Pod spec.hostAliases: extra /etc/hosts lines the kubelet writes. */
  hostAliases?: { ip: string; hostnames: string[] }[];
  /** Pod spec.dnsPolicy (ClusterFirst when absent); `None` means resolv.conf comes from dnsConfig only. */
  dnsPolicy?: string;
  /** Pod spec.dnsConfig, merged into (or, with dnsPolicy None, making up) the pod's resolv.conf. */
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] };
}

export interface DeploymentModel {
  name: string;
  namespace: string;
  replicas: number;
  selector: Record<string, string>;
  /** The raw pod template, kept so scale can create more pods later. */
  template: unknown;
}

export interface ServicePortModel {
  name?: string;
  protocol: 'TCP' | 'UDP';
  port: number;
  /** Resolved numeric target port (named target ports are resolved per endpoint). */
  targetPort: number | string;
  nodePort?: number;
}

export interface ServiceModel {
  name: string;
  namespace: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** VIP, or 'None' for headless. */
  clusterIP: string;
  selector?: Record<string, string>;
  ports: ServicePortModel[];
  sessionAffinity: 'None' | 'ClientIP';
  affinityTimeoutSeconds: number;
  internalTrafficPolicy: 'Cluster' | 'Local';
  externalTrafficPolicy: 'Cluster' | 'Local';
  externalName?: string;
  healthCheckNodePort?: number;
  loadBalancerSourceRanges?: string[];
  publishNotReadyAddresses: boolean;
  /** LoadBalancer: the address the cloud load balancer took from edge.loadBalancerPool (status.loadBalancer.ingress[0].ip). */
  loadBalancerIP?: string;
}

/**
 * A lab container at the edge of the VPC (igw, lb, ingress): one /30 link from the VPC router's
 * transit range, the container's default route pointing back at the VPC router.
 */
export interface EdgeAttachment {
  /** Short name (`igw`, `lb`, `ingress`). */
  name: string;
  container: string;
  role: Role;
  /** Interface in the container facing the VPC router, and its address. */
  iface: string;
  ip: string;
  /** The VPC router's side of the link. */
  vpcIface: string;
  vpcIP: string;
  prefixLen: number;
}

/** The emulated Internet: gateway, Internet host, cloud load balancer (edge issue). */
export interface EdgeModel {
  /** Public range: node public IPs, the load balancer pool and the ingress address live here. */
  publicCIDR: string;
  /** The Internet network between the gateway and the Internet host. */
  internetCIDR: string;
  /** Range the VPC router's links to edge containers are cut from (one /30 each). */
  transitCIDR: string;
  /** Where LoadBalancer Services get their external IP. */
  loadBalancerPool: string;
  /** Public address reserved for the ingress container. */
  ingressIP: string;
  /** Where nodes without a public IP are NATed (the gateway's own public address). */
  natIP: string;
  igw: EdgeAttachment & { internetIface: string; internetIP: string };
  lb: EdgeAttachment;
  /** Address plan for the ingress container; attach it with attachEdgeContainer (src/lab/edge.ts). */
  ingress: EdgeAttachment;
  internet: LabContainer & {
    iface: string;
    ip: string;
    gateway: string;
    /** A second client address, on another network the gateway routes to the host (source-range tests). */
    otherClientIP: string;
    otherClientCIDR: string;
  };
}

/** One end of a point-to-point veth link between two lab containers. */
export interface LinkEnd {
  container: string;
  iface: string;
}

export interface LinkModel {
  a: LinkEnd;
  b: LinkEnd;
  mtu: number;
}

export interface LabContainer {
  /** Short name used in targets (`vpc`, `node1`, ...). */
  name: string;
  container: string;
  role: Role;
}

/** A fault of the topology's `faults:` section, run by `lab watch` from its start (src/lab/faults/schedule.ts). */
export interface ScheduledFault {
  kind: string;
  target: string;
  peer?: string;
  percent?: number;
  /** Start delay from the start of `lab watch`. */
  afterMs: number;
  /** Cleared this long after it was injected; absent: it stays until `lab fault clear`. */
  durationMs?: number;
}

export interface LabModel {
  /** Schema version of this stored model. */
  version: 1;
  name: string;
  /** Container name prefix (k8s-netlab). */
  prefix: string;
  /** Path of the topology file this model came from, if any. */
  source?: string;
  cluster: ClusterSettings;
  subnets: Subnet[];
  vpc: LabContainer;
  nodes: NodeModel[];
  pods: PodModel[];
  deployments: DeploymentModel[];
  services: ServiceModel[];
  links: LinkModel[];
  /** Image every lab container runs (tagged by recipe hash). */
  image?: string;
  /** Namespaces that exist: the built-in ones plus those the topology declares. */
  namespaces?: string[];
  /** Ingress objects as written (networking.k8s.io/v1), for the ingress controller. */
  ingresses?: unknown[];
  /** The emulated Internet and cloud load balancer, when the topology has an `edge:` section. */
  edge?: EdgeModel;
  /** DNS server on the Internet host answering names outside the cluster (for cluster DNS forwarding). */
  internetDns?: string;
  /** The cluster DNS server chosen at `lab up` (absent on labs from before the choice existed: offline). */
  dnsServer?: DnsServerChoice;
  /** NetworkPolicies, validated and defaulted (src/topology/netpol.ts); absent or empty: no pod is isolated. */
  networkPolicies?: NetworkPolicyModel[];
  /** Labels of the declared Namespaces (kubernetes.io/metadata.name is implied for every namespace). */
  namespaceLabels?: Record<string, Record<string, string>>;
  /** The topology's `faults:` section, checked against this model. */
  faults?: ScheduledFault[];
}
