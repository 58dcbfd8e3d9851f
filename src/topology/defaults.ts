/** Defaults and allowed values of the topology file, shared by the schema and the resolver. */
import type { CniMode, IptablesBackend, ProxyMode } from '../model/types';

export const DEFAULT_PREFIX = 'k8s-netlab';

export const PROXY_MODES: readonly ProxyMode[] = ['iptables', 'nftables', 'ipvs'];
export const IPTABLES_BACKENDS: readonly IptablesBackend[] = ['nft', 'legacy'];
export const CNI_MODES: readonly CniMode[] = ['vpc-routes', 'host-gw', 'vxlan', 'vpc-native'];
/** Schedulers the kernel's IPVS offers (ip_vs_<name> modules) and kube-proxy accepts. */
export const IPVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh'] as const;

export const CLUSTER_DEFAULTS = {
  podCIDR: '10.244.0.0/16',
  nodePodPrefix: 24,
  serviceCIDR: '10.96.0.0/16',
  domain: 'cluster.local',
  dnsIP: '10.96.0.10',
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
};

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
export const MTU_MIN = 576;
export const MTU_MAX = 9216;
export const DEFAULT_AFFINITY_TIMEOUT = 10800;
