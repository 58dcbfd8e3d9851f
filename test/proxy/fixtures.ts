/** Small LabModel builders for the proxy tests, shaped like kube-proxy's own test fixtures. */

import type { LabModel, NodeModel, PodModel, ServiceModel, ServicePortModel } from '../../src/model/types';

export function node(name: string, ip: string, podCIDR: string): NodeModel {
  return {
    name,
    container: `k8s-netlab-t-${name}`,
    labels: {},
    subnet: 'nodes',
    ip,
    prefixLen: 24,
    gateway: '192.168.0.1',
    podCIDR,
    cbr0IP: podCIDR.replace(/0\/\d+$/, '1'),
    vpcIface: `eth-${name}`,
  };
}

export function pod(
  name: string,
  nodeName: string,
  ip: string,
  labels: Record<string, string>,
  extra: Partial<PodModel> = {},
): PodModel {
  return {
    name,
    namespace: 'default',
    node: nodeName,
    ip,
    labels,
    netns: name,
    hostVeth: `veth${name}`,
    containers: [{ name: 'c', image: 'netexec', bind: '0.0.0.0', ports: [] }],
    ...extra,
  };
}

export function service(
  ns: string,
  name: string,
  clusterIP: string,
  ports: Partial<ServicePortModel>[],
  extra: Partial<ServiceModel> = {},
): ServiceModel {
  return {
    name,
    namespace: ns,
    type: 'ClusterIP',
    clusterIP,
    selector: { app: `${ns}-${name}` },
    ports: ports.map((p) => ({ protocol: 'TCP', port: 80, targetPort: p.port ?? 80, ...p })),
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    internalTrafficPolicy: 'Cluster',
    externalTrafficPolicy: 'Cluster',
    publishNotReadyAddresses: false,
    ...extra,
  };
}

/** A pod that backs service ns/name (selector app=ns-name). */
export function backend(
  ns: string,
  svc: string,
  podName: string,
  nodeName: string,
  ip: string,
  extra: Partial<PodModel> = {},
): PodModel {
  return pod(podName, nodeName, ip, { app: `${ns}-${svc}` }, { namespace: ns, ...extra });
}

export function model(
  nodes: NodeModel[],
  services: ServiceModel[],
  pods: PodModel[],
  podCIDR = '10.0.0.0/8',
): LabModel {
  return {
    version: 1,
    name: 't',
    prefix: 'k8s-netlab',
    cluster: {
      podCIDR,
      nodePodPrefix: 24,
      serviceCIDR: '172.30.0.0/16',
      domain: 'cluster.local',
      dnsIP: '172.30.0.10',
      proxy: 'iptables',
      iptablesBackend: 'nft',
      ipvsScheduler: 'rr',
      cni: 'vpc-routes',
      mtu: 1500,
      nodePortRange: [30000, 32767],
    },
    subnets: [],
    vpc: { name: 'vpc', container: 'k8s-netlab-t-vpc', role: 'vpc' },
    nodes,
    pods,
    deployments: [],
    services,
    links: [],
  };
}

/**
 * kube-proxy's TestOverallIPTablesRules / TestOverallNFTablesRules scenario: pod CIDR 10.0.0.0/8,
 * this node "test-node" at 192.168.0.2, six services ns1..ns6 (ClusterIP, LB ETP Local, NodePort,
 * external IP, LB with source ranges + affinity, no endpoints).
 */
export function overallScenario(): {
  lab: LabModel;
  extras: Record<string, { externalIPs?: string[]; loadBalancerIPs?: string[] }>;
} {
  const nodes = [node('test-node', '192.168.0.2', '10.180.0.0/24'), node('other-node', '192.168.0.3', '10.180.1.0/24')];
  const p80 = [{ name: 'p80', port: 80, targetPort: 80 }];
  const services = [
    service('ns1', 'svc1', '172.30.0.41', p80),
    service('ns2', 'svc2', '172.30.0.42', [{ name: 'p80', port: 80, targetPort: 80, nodePort: 3001 }], {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 30000,
    }),
    service('ns3', 'svc3', '172.30.0.43', [{ name: 'p80', port: 80, targetPort: 80, nodePort: 3003 }], {
      type: 'NodePort',
    }),
    service('ns4', 'svc4', '172.30.0.44', p80, { type: 'NodePort' }),
    service('ns5', 'svc5', '172.30.0.45', [{ name: 'p80', port: 80, targetPort: 80, nodePort: 3002 }], {
      type: 'LoadBalancer',
      healthCheckNodePort: 30000,
      loadBalancerSourceRanges: [' 203.0.113.0/25'],
      sessionAffinity: 'ClientIP',
    }),
    service('ns6', 'svc6', '172.30.0.46', p80),
  ];
  // upstream's endpoints without a NodeName are "not local": they live on other-node here.
  const pods = [
    backend('ns1', 'svc1', 'a', 'other-node', '10.180.0.1'),
    backend('ns2', 'svc2', 'b', 'other-node', '10.180.0.2'),
    backend('ns3', 'svc3', 'c', 'other-node', '10.180.0.3'),
    backend('ns4', 'svc4', 'd', 'other-node', '10.180.0.4'),
    backend('ns4', 'svc4', 'e', 'test-node', '10.180.0.5'),
    backend('ns5', 'svc5', 'f', 'other-node', '10.180.0.3'),
  ];
  return {
    lab: model(nodes, services, pods),
    extras: {
      'ns2/svc2': { externalIPs: ['192.168.99.22'], loadBalancerIPs: ['1.2.3.4'] },
      'ns4/svc4': { externalIPs: ['192.168.99.33'] },
      'ns5/svc5': { loadBalancerIPs: ['5.6.7.8'] },
    },
  };
}
