/** Defaults and allowed values of the topology file, shared by the schema and the resolver. */
import type { CniMode, DnsServerSetting, IptablesBackend, ProxyMode } from '../model/types';

export const DEFAULT_PREFIX = 'k8s-netlab';

export const PROXY_MODES: readonly ProxyMode[] = ['iptables', 'nftables', 'ipvs'];
export const IPTABLES_BACKENDS: readonly IptablesBackend[] = ['nft', 'legacy'];
export const CNI_MODES: readonly CniMode[] = ['vpc-routes', 'host-gw', 'vxlan', 'vpc-native'];
/** cluster.dnsServer / lab up --dns-server (chosen at lab up: src/topology/dns-server.ts). */
export const DNS_SERVERS: readonly DnsServerSetting[] = ['auto', 'coredns', 'offline'];
export const DEFAULT_DNS_SERVER: DnsServerSetting = 'auto';
/** Schedulers the kernel's IPVS offers (ip_vs_<name> modules) and kube-proxy accepts. */
export const IPVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh'] as const;

export const CLUSTER_DEFAULTS = {
  podCIDR: '10.244.0.0/16',
  nodePodPrefix: 24,
  serviceCIDR: '10.96.0.0/16',
  domain: 'cluster.local',
  dnsIP: '10.96.0.10',
  dns: true,
  proxy: 'iptables' as ProxyMode,
  iptablesBackend: 'nft' as IptablesBackend,
  ipvsScheduler: 'rr',
  cni: 'vpc-routes' as CniMode,
  mtu: 1500,
  nodePortRange: '30000-32767',
};

/** Used when the file has no `vpc:` section. */
export const DEFAULT_SUBNET = { name: 'subnet-a', cidr: '10.0.1.0/24' };

/** Nodes get addresses from this offset up in their subnet (.10, .11, ...), leaving room for routers. */
export const NODE_IP_OFFSET = 10;

/** Short names of lab containers other than nodes; a node may not take one. */
export const RESERVED_CONTAINER_NAMES = ['vpc', 'igw', 'internet', 'lb', 'dns', 'ingress'];

/** Namespaces every cluster has. */
export const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export const KIND_API_VERSIONS: Record<string, string> = {
  Namespace: 'v1',
  Pod: 'v1',
  Service: 'v1',
  Deployment: 'apps/v1',
  Ingress: 'networking.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
};

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
export const MTU_MIN = 576;
export const MTU_MAX = 9216;
export const DEFAULT_AFFINITY_TIMEOUT = 10800;

/**
 * The `edge:` section (emulated Internet, cloud load balancer). Documentation ranges (RFC 5737)
 * for everything public, the shared address space (RFC 6598) for the VPC router's edge links.
 */
export const EDGE_DEFAULTS = {
  /** Node public IPs (from .10 up), the gateway's own address (.1), the LB pool and the ingress address. */
  publicCIDR: '203.0.113.0/24',
  /** The "Internet" network between the gateway (.1) and the Internet host. */
  internetCIDR: '198.51.100.0/24',
  internetHost: '198.51.100.10',
  /** A second client network on the Internet host (.10), for loadBalancerSourceRanges tests. */
  otherClientCIDR: '192.0.2.0/24',
  /** Cut into /30 links: VPC router <-> igw, lb, ingress. */
  transitCIDR: '100.64.0.0/28',
  loadBalancerPool: '203.0.113.128/26',
  ingressIP: '203.0.113.200',
  /** Give every node without publicIP one from publicCIDR. */
  nodePublicIPs: true,
};
