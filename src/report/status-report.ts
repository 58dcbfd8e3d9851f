/** What `lab status` found in the running lab (read by src/lab/status.ts, drawn by src/graph/). */
import type { EdgeStatus } from '../edge/status';

export interface StatusReport {
  lab: string;
  proxy: string;
  cni: string;
  /** The cluster DNS server chosen at lab up (coredns | offline), with why; absent when the lab has no cluster DNS. */
  dnsServer?: { server: string; requested: string; reason: string; image?: string; fallback?: boolean };
  containers: Array<{ name: string; container: string; role: string; state: string }>;
  /**
   * status: Ready, or NotReady with why (container not running, eth0 gone or down, links gone), as
   * kubectl's STATUS. state: the container's, or `broken` when it runs without the links the model
   * gave it (missing: which, observed in its namespace); `lab up` repairs it.
   */
  nodes: Array<{
    name: string;
    ip: string;
    podCIDR: string;
    subnet: string;
    state: string;
    status?: string;
    missing?: { links: string[]; pods: string[] };
  }>;
  /** ready: `<ready containers>/<containers>` as kubectl's READY column. */
  pods: Array<{
    name: string;
    namespace: string;
    node: string;
    ip: string;
    containers: string[];
    running: boolean;
    ready: string;
  }>;
  links: Array<{ a: string; b: string }>;
  services: Array<{
    name: string;
    namespace: string;
    type: string;
    clusterIP: string;
    externalIP: string;
    ports: string[];
  }>;
  /** The emulated Internet, when the lab has one (see edgeStatus). */
  edge?: EdgeStatus;
  /** NetworkPolicies as `kubectl get networkpolicy` lists them, plus their policy types. */
  networkPolicies?: Array<{ name: string; namespace: string; podSelector: string; policyTypes: string[] }>;
}
