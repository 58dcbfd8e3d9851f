/** Container specs for the lab: least privilege, network mode none, labelled for cleanup. */
import { LabModel, LABEL_NODE, NodeModel } from '../model/types';
import type { ContainerSpec } from '../runtime/containers';

/** NET_ADMIN for links/rules, NET_RAW for ping/tcpdump, SYS_ADMIN for `ip netns` mounts. */
export const LAB_CAPS = ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN'];

const ROUTER_SYSCTLS = {
  'net.ipv4.ip_forward': '1',
  // IPv6 off: the lab models the IPv4 guide, and captures stay free of router solicitations.
  'net.ipv6.conf.all.disable_ipv6': '1',
  'net.ipv6.conf.default.disable_ipv6': '1',
};

/** Keeps PID 1 alive without a shell loop; the engine's init (Init: true) reaps orphans. */
const IDLE = ['sleep', 'infinity'];

export function nodeSpec(model: LabModel, node: NodeModel, image: string): ContainerSpec {
  return {
    name: node.container,
    hostname: node.name,
    image,
    lab: model.name,
    role: 'node',
    labels: { [LABEL_NODE]: node.name },
    capAdd: LAB_CAPS,
    sysctls: ROUTER_SYSCTLS,
    cmd: IDLE,
  };
}

export function vpcSpec(model: LabModel, image: string): ContainerSpec {
  return {
    name: model.vpc.container,
    hostname: 'vpc',
    image,
    lab: model.name,
    role: 'vpc',
    capAdd: LAB_CAPS,
    sysctls: ROUTER_SYSCTLS,
    cmd: IDLE,
  };
}

/** The short-lived helper that plugs veths into other containers' namespaces (needs their PIDs). */
export function fabricHelperSpec(model: LabModel, image: string, script: string): ContainerSpec {
  return {
    name: `${model.prefix}-${model.name}-fabric-${process.pid}-${Date.now() % 100000}`,
    hostname: 'fabric',
    image,
    lab: model.name,
    role: 'helper',
    capAdd: ['NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE'],
    sysctls: {},
    cmd: ['sh', '-c', script],
    pidHost: true,
  };
}
