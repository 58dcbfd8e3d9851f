/** Container specs for the lab: least privilege, network mode none, labelled for cleanup. */
import { LabModel, LABEL_NODE, NodeModel } from '../model/types';
import type { ContainerSpec } from './container-spec';
import { HelperJob, privilegesFor } from './security';

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
    privileges: privilegesFor('node'),
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
    privileges: privilegesFor('vpc'),
    sysctls: ROUTER_SYSCTLS,
    cmd: IDLE,
  };
}

/** Label naming a helper's job (its capabilities follow from it, src/plan/security.ts). */
const LABEL_HELPER_JOB = 'k8s-netlab.helper';

/**
 * The short-lived helper that plugs veths into other containers' namespaces (needs their PIDs,
 * hence the host PID namespace); it carries the lab label, so an interrupt or `lab down` removes it.
 */
export function fabricHelperSpec(
  model: LabModel,
  image: string,
  script: string,
  job: HelperJob = 'links',
): ContainerSpec {
  return {
    name: `${model.prefix}-${model.name}-fabric-${process.pid}-${Date.now() % 100000}`,
    hostname: 'fabric',
    image,
    lab: model.name,
    role: 'helper',
    labels: { [LABEL_HELPER_JOB]: job },
    privileges: privilegesFor('helper', job),
    sysctls: {},
    cmd: ['sh', '-c', script],
    pidHost: true,
  };
}

/**
 * How long a standby helper waits for its job before it exits by itself: lab up uses it within
 * seconds and removes it, so this only bounds one a crashed lab up left behind.
 */
export const HELPER_STANDBY_SEC = 600;

/**
 * The same helper for one job, created beside the lab's containers and idle until lab up execs the
 * job's script in it (their PIDs are known only once they run): the job then costs an exec, not a
 * container start. Same privileges, PID namespace and labels as fabricHelperSpec's.
 */
export function standbyHelperSpec(model: LabModel, image: string, job: HelperJob): ContainerSpec {
  return {
    ...fabricHelperSpec(model, image, '', job),
    name: `${model.prefix}-${model.name}-fabric-${job}-${process.pid}`,
    cmd: ['sleep', String(HELPER_STANDBY_SEC)],
  };
}
