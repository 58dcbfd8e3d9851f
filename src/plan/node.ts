/** A node container's root namespace: eth0 on the VPC, the cbr0 bridge for its pod block. */
import { LabModel, NodeModel } from '../model/types';
import { q } from './shell';
import { podMtu, renderCniNode, usesBridge } from './cni';

export const LOG_DIR = '/var/log/k8s-netlab';
export const RUN_DIR = '/run/k8s-netlab';

export function prefixOf(cidr: string): number {
  return Number(cidr.split('/')[1]);
}

/** Lines that give the node its VPC address and the cbr0 bridge (the kubenet layout). */
export function renderNodeBase(model: LabModel, node: NodeModel): string[] {
  const bridge = usesBridge(model);
  return [
    bridge
      ? `# node ${node.name}: eth0 on subnet ${node.subnet}, pod block ${node.podCIDR} on cbr0`
      : `# node ${node.name}: eth0 on subnet ${node.subnet}, pod addresses ${node.podCIDR} of the subnet routed per veth`,
    `mkdir -p ${LOG_DIR}/pods ${RUN_DIR}/pods /etc/netns /run/netns`,
    // /run/netns made a shared mount once, here, as `ip netns add` does on first use (iproute2
    // ip/ipnetns.c netns_add: make it shared, or bind it onto itself first when it is no mount).
    // Left to the first `ip netns add`, that bind raced the container pods' netns bind mounts
    // (src/plan/container-pod.ts): a pod's netns then showed mounted twice and its detach failed.
    'mount --make-rshared /run/netns 2>/dev/null || { mount --rbind /run/netns /run/netns && mount --make-rshared /run/netns; }',
    'ip link set lo up',
    `ip addr add ${node.ip}/${node.prefixLen} dev eth0`,
    'ip link set eth0 up',
    `ip route add default via ${node.gateway} dev eth0`,
    ...(bridge
      ? [
          'ip link add cbr0 type bridge',
          // The pod MTU: an overlay's overhead comes off it, and node -> pod traffic leaves through cbr0.
          `ip link set cbr0 mtu ${podMtu(model)}`,
          `ip addr add ${node.cbr0IP}/${prefixOf(node.podCIDR)} dev cbr0`,
          // A bridge takes the lowest MAC of its ports unless one is set; the bridge plugin pins it
          // when it gives the bridge its gateway address (ensureAddr, containernetworking/plugins
          // v1.1.1), so CNI CHECK's MAC comparison holds as pods come and go. cbr0 gets its address
          // here, so the pinning is done here too.
          'ip link set cbr0 address "$(cat /sys/class/net/cbr0/address)"',
          'ip link set cbr0 up',
        ]
      : []),
    // Bridged replies between pods of one node must pass conntrack for Service un-DNAT (kubenet requires this).
    `if [ -w /proc/sys/net/bridge/bridge-nf-call-iptables ]; then echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables; fi`,
    `echo ${q(node.name)} > ${RUN_DIR}/node-name`,
    ...renderCniNode(model, node),
  ];
}
