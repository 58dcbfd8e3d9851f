/**
 * The CNI network configuration each node holds in /etc/cni/net.d, and how the kubelet's side
 * calls it for one pod. Pure: every value comes from the model.
 *
 *   vpc-routes, host-gw  10-kubenet.conflist: kubenet's template (Kubernetes v1.23,
 *                        pkg/kubelet/dockershim/network/kubenet/kubenet_linux.go NET_CONFIG_TEMPLATE):
 *                        bridge on cbr0, isGateway, ipMasq false, hairpinMode, host-local IPAM on the
 *                        node's pod block with cbr0's address as gateway and a default route.
 *   vxlan                10-flannel.conflist, name cbr0 (flannel's file). flannel's own plugin
 *                        (flannel-io/cni-plugin) is not in Debian; it reads /run/flannel/subnet.env
 *                        and delegates to bridge with isGateway, hairpinMode, ipMasq false, the
 *                        FLANNEL_MTU, and host-local on FLANNEL_SUBNET routing FLANNEL_NETWORK. The
 *                        lab writes that delegate configuration itself, and subnet.env beside it.
 *   vpc-native           10-aws.conflist: ptp (a veth per pod, no bridge, a /32 host route, the
 *                        gateway address on the host end) with host-local on the node's share of
 *                        the VPC subnet, the pod layout of the AWS VPC CNI built from reference
 *                        plugins; the gateway is the share's first address, not AWS's 169.254.1.1
 *                        (ptp adds the IPAM routes before the gateway's link route, so an
 *                        off-subnet gateway fails with "network is unreachable").
 * Every list ends with portmap (capabilities portMappings), as kubenet and the CRI runtimes'
 * default lists do; it acts only for pods that declare hostPorts (src/plan/pod.ts passes them as
 * runtimeConfig). The loopback network (99-loopback.conf, kubenet's and the CRI's cni-loopback)
 * brings up lo in every pod.
 */
import { createHash } from 'crypto';
import type { LabModel, NodeModel, PodModel } from '../model/types';
import { podMtu } from './cni';

export const CNI_CONF_DIR = '/etc/cni/net.d';
/** Where Debian's containernetworking-plugins installs the plugins (upstream's default is /opt/cni/bin). */
export const CNI_BIN_DIR = '/usr/lib/cni';
/** The runtime side of the spec (images/cni/cni-exec.py), installed into every node at lab up. */
export const CNI_EXEC = '/usr/local/lib/k8s-netlab/cni-exec.py';
export const CNI_VERSION = '1.0.0';
export const LOOPBACK_CONF = `${CNI_CONF_DIR}/99-loopback.conf`;

export interface CniFile {
  path: string;
  text: string;
}

/** The network's name and file for the node's CNI mode. */
export function cniNetwork(model: LabModel): { name: string; file: string } {
  switch (model.cluster.cni) {
    case 'vxlan':
      return { name: 'cbr0', file: `${CNI_CONF_DIR}/10-flannel.conflist` };
    case 'vpc-native':
      return { name: 'aws-cni', file: `${CNI_CONF_DIR}/10-aws.conflist` };
    default:
      return { name: 'kubenet', file: `${CNI_CONF_DIR}/10-kubenet.conflist` };
  }
}

const PORTMAP = { type: 'portmap', capabilities: { portMappings: true } };

/** The node's network configuration list (JSON object) for its CNI mode. */
export function renderConflist(model: LabModel, node: NodeModel): Record<string, unknown> {
  const { name } = cniNetwork(model);
  const mtu = podMtu(model);
  if (model.cluster.cni === 'vpc-native') {
    return {
      cniVersion: CNI_VERSION,
      name,
      plugins: [
        {
          type: 'ptp',
          mtu,
          ipMasq: false,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: node.podCIDR, gateway: node.cbr0IP }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
        PORTMAP,
      ],
    };
  }
  if (model.cluster.cni === 'vxlan') {
    // flannel's delegate (flannel-io/cni-plugin flannel_linux.go): isDefaultGateway from its
    // conflist, ipMasq = !FLANNEL_IPMASQ, host-local on FLANNEL_SUBNET routing FLANNEL_NETWORK.
    // The bridge keeps the lab's name cbr0 (flannel's default is cni0).
    return {
      cniVersion: CNI_VERSION,
      name,
      plugins: [
        {
          type: 'bridge',
          bridge: 'cbr0',
          mtu,
          isGateway: true,
          isDefaultGateway: true,
          ipMasq: false,
          hairpinMode: true,
          // flannel writes the route without gw (the gateway is implied); bridge's CHECK (v1.1.1
          // ip.ValidateExpectedRoute) then looks for a route with no gateway and fails on every pod.
          // Naming the gateway gives the same route and a CHECK that holds.
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: node.podCIDR }]],
            routes: [{ dst: model.cluster.podCIDR, gw: node.cbr0IP }],
          },
        },
        PORTMAP,
      ],
    };
  }
  return {
    cniVersion: CNI_VERSION,
    name,
    plugins: [
      {
        type: 'bridge',
        bridge: 'cbr0',
        mtu,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: node.podCIDR, gateway: node.cbr0IP }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
      PORTMAP,
    ],
  };
}

/** flannel's /run/flannel/subnet.env for the node (what flanneld writes and its CNI plugin reads). */
export function renderFlannelSubnetEnv(model: LabModel, node: NodeModel): string {
  return [
    `FLANNEL_NETWORK=${model.cluster.podCIDR}`,
    `FLANNEL_SUBNET=${node.cbr0IP}/${node.podCIDR.split('/')[1]}`,
    `FLANNEL_MTU=${podMtu(model)}`,
    // flanneld --ip-masq (kube-flannel.yml's default): the delegate then gets ipMasq false.
    'FLANNEL_IPMASQ=true',
    '',
  ].join('\n');
}

/** Every file the node's CNI configuration consists of. */
export function renderCniFiles(model: LabModel, node: NodeModel): CniFile[] {
  const files: CniFile[] = [
    { path: cniNetwork(model).file, text: JSON.stringify(renderConflist(model, node), null, 2) + '\n' },
    {
      path: LOOPBACK_CONF,
      text: JSON.stringify({ cniVersion: CNI_VERSION, name: 'cni-loopback', type: 'loopback' }, null, 2) + '\n',
    },
  ];
  if (model.cluster.cni === 'vxlan')
    files.push({ path: '/run/flannel/subnet.env', text: renderFlannelSubnetEnv(model, node) });
  return files;
}

/**
 * The pod sandbox's container ID (CNI_CONTAINERID): the runtime's ID of the pause container. The
 * lab has no pause container; a hash of the pod's identity stands in, stable for the pod's life so
 * ADD, CHECK and DEL name the same attachment.
 */
export function sandboxId(model: Pick<LabModel, 'name'>, pod: Pick<PodModel, 'namespace' | 'name'>): string {
  return createHash('sha256').update(`${model.name}/${pod.namespace}/${pod.name}`).digest('hex');
}

/**
 * CNI_ARGS as the CRI runtimes pass them for a pod (IgnoreUnknown, K8S_POD_NAMESPACE, K8S_POD_NAME,
 * K8S_POD_INFRA_CONTAINER_ID), plus IP=: host-local then reserves exactly the address the lab's
 * model gave the pod (see src/net/ipam.ts for why the model decides).
 */
export function cniArgs(model: Pick<LabModel, 'name'>, pod: Pick<PodModel, 'namespace' | 'name' | 'ip'>): string {
  return [
    'IgnoreUnknown=1',
    `K8S_POD_NAMESPACE=${pod.namespace}`,
    `K8S_POD_NAME=${pod.name}`,
    `K8S_POD_INFRA_CONTAINER_ID=${sandboxId(model, pod)}`,
    `IP=${pod.ip}`,
  ].join(';');
}
