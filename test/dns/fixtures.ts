/** A small cluster for the DNS tests: regular, headless, ExternalName services and pods in two namespaces. */
import type { LabModel, PodModel, ServiceModel, ServicePortModel } from '../../src/model/types';

export function pod(
  ns: string,
  name: string,
  node: string,
  ip: string,
  labels: Record<string, string>,
  extra: Partial<PodModel> = {},
): PodModel {
  return {
    name,
    namespace: ns,
    node,
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
    selector: { app: name },
    ports: ports.map((p) => ({ protocol: 'TCP' as const, port: 80, targetPort: p.port ?? 80, ...p })),
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    internalTrafficPolicy: 'Cluster',
    externalTrafficPolicy: 'Cluster',
    publishNotReadyAddresses: false,
    ...extra,
  };
}

export function labModel(
  services: ServiceModel[],
  pods: PodModel[],
  cluster: Partial<LabModel['cluster']> = {},
): LabModel {
  return {
    version: 1,
    name: 'dnstest',
    prefix: 'k8s-netlab',
    cluster: {
      podCIDR: '10.244.0.0/16',
      nodePodPrefix: 24,
      serviceCIDR: '10.96.0.0/16',
      domain: 'cluster.local',
      dnsIP: '10.96.0.10',
      proxy: 'iptables',
      iptablesBackend: 'nft',
      ipvsScheduler: 'rr',
      cni: 'vpc-routes',
      mtu: 1500,
      nodePortRange: [30000, 32767],
      ...cluster,
    },
    subnets: [],
    vpc: { name: 'vpc', container: 'k8s-netlab-dnstest-vpc', role: 'vpc' },
    nodes: [],
    pods,
    deployments: [],
    services,
    links: [],
  };
}

/** Pods not ready in the sample cluster. */
export const NOT_READY = new Set(['db-2']);
export const ready = (p: PodModel) => !NOT_READY.has(p.name);

/**
 * default/web: ClusterIP, one named and one unnamed port. default/db: headless, named port
 * mysql -> 3306, db-0 has hostname+subdomain, db-1 none, db-2 not ready. default/ext:
 * ExternalName. prod/api: NodePort with a UDP named port. default/empty: headless, no pods.
 */
export function sampleModel(cluster: Partial<LabModel['cluster']> = {}): LabModel {
  const services = [
    service('default', 'web', '10.96.0.20', [
      { name: 'http', port: 80, targetPort: 8080 },
      { port: 8443, targetPort: 8443 },
    ]),
    service('default', 'db', 'None', [
      { name: 'mysql', port: 3306, targetPort: 3306 },
      { name: 'Metrics', port: 9104, targetPort: 9104 },
    ]),
    service('default', 'ext', '', [], { type: 'ExternalName', externalName: 'WWW.Example.com', selector: undefined }),
    service('prod', 'api', '10.96.5.5', [{ name: 'grpc', protocol: 'UDP', port: 9000, targetPort: 9000 }], {
      type: 'NodePort',
    }),
    service('default', 'empty', 'None', [{ name: 'http', port: 80 }]),
  ];
  const pods = [
    pod('default', 'web-a', 'n1', '10.244.1.10', { app: 'web' }),
    pod('default', 'db-0', 'n1', '10.244.1.5', { app: 'db' }, { hostname: 'db-0', subdomain: 'db' }),
    pod('default', 'db-1', 'n2', '10.244.2.6', { app: 'db' }),
    pod('default', 'db-2', 'n1', '10.244.1.7', { app: 'db' }, { hostname: 'db-2', subdomain: 'db' }),
    // hostname with a subdomain that is not this service: gets the dashed IP under db
    pod('default', 'db-3', 'n2', '10.244.2.8', { app: 'db' }, { hostname: 'other', subdomain: 'nothere' }),
    pod('prod', 'api-0', 'n2', '10.244.2.20', { app: 'api' }),
  ];
  return labModel(services, pods, cluster);
}
