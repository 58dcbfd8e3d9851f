/**
 * The cluster DNS add-on, added to every lab's objects by the loader as kubeadm installs it:
 * Deployment kube-system/coredns (pods labelled k8s-app=kube-dns) and Service kube-system/kube-dns
 * on the cluster's dnsIP, ports dns 53/UDP and dns-tcp 53/TCP. The pods run image
 * `k8s-netlab/dns`: the lab's offline DNS server (knotd authoritative for the rendered zones on
 * 127.0.0.1:5353, unbound on :53 in front of it), run as processes in the pod's namespace like
 * netexec (see src/plan/dns-pod.ts). Objects are appended after the user's, so the user's pods
 * keep the addresses they would have without DNS.
 */
import type { KubeObject, SourcedObject } from './raw';

/** Image name the loader maps to PodContainer kind 'dns'. */
export const DNS_IMAGE = 'k8s-netlab/dns';
export const DNS_NAMESPACE = 'kube-system';
export const DNS_DEPLOYMENT = 'coredns';
export const DNS_SERVICE = 'kube-dns';
export const DNS_CONTAINER = 'coredns';
export const DNS_SELECTOR = { 'k8s-app': 'kube-dns' };
/** kubeadm runs two replicas. */
export const DNS_REPLICAS = 2;
/** Field path prefix used in messages about the add-on's objects. */
export const DNS_PATH = 'cluster.dns';

export function clusterDnsObjects(dnsIP: string): SourcedObject[] {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: DNS_DEPLOYMENT, namespace: DNS_NAMESPACE, labels: { ...DNS_SELECTOR } },
    spec: {
      replicas: DNS_REPLICAS,
      selector: { matchLabels: { ...DNS_SELECTOR } },
      template: {
        metadata: { labels: { ...DNS_SELECTOR } },
        spec: {
          // As kubeadm's coredns: the DNS pod itself resolves through the node, not through itself.
          dnsPolicy: 'Default',
          containers: [
            {
              name: DNS_CONTAINER,
              image: DNS_IMAGE,
              ports: [
                { name: 'dns', containerPort: 53, protocol: 'UDP' },
                { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
              ],
            },
          ],
        },
      },
    },
  } as unknown as KubeObject;
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: DNS_SERVICE,
      namespace: DNS_NAMESPACE,
      labels: { ...DNS_SELECTOR, 'kubernetes.io/name': 'CoreDNS' },
    },
    spec: {
      clusterIP: dnsIP,
      selector: { ...DNS_SELECTOR },
      ports: [
        { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
      ],
    },
  } as unknown as KubeObject;
  return [
    { object: deployment, path: `${DNS_PATH} (Deployment ${DNS_NAMESPACE}/${DNS_DEPLOYMENT})` },
    { object: service, path: `${DNS_PATH} (Service ${DNS_NAMESPACE}/${DNS_SERVICE})` },
  ];
}

/** True when the topology declares its own kube-system/coredns or kube-system/kube-dns (then nothing is added). */
export function declaresClusterDns(objects: SourcedObject[]): boolean {
  return objects.some(
    ({ object }) =>
      object.metadata?.namespace === DNS_NAMESPACE &&
      ((object.kind === 'Deployment' && object.metadata?.name === DNS_DEPLOYMENT) ||
        (object.kind === 'Service' && object.metadata?.name === DNS_SERVICE)),
  );
}
