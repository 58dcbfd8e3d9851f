/**
 * Which source address a NetworkPolicy sees for traffic from outside the cluster (a NodePort or a
 * LoadBalancer's node port), for the oracle (pure, no code shared with the renderer).
 *
 * Kubernetes leaves it open: the Network Policies concept page (v1.31, on ipBlock) says whether
 * source rewriting happens before or after policy processing is not defined, and the source a
 * policy acts on may be the client's, a load balancer's or the pod's node's
 * (docs/reference/network-policy.md). The lab follows
 * kube-network-policies (sigs.k8s.io/kube-network-policies, pkg/networkpolicy/controller.go:
 * the rules sit at hook postrouting, priority filter-5, "before SNAT happens"), on the node of the
 * protected pod:
 * - externalTrafficPolicy Cluster, backend on another node than the one the client hit: that node
 *   DNATs and masquerades (kube-proxy marks node-port traffic for SNAT) and forwards; the backend's
 *   node sees the entry node's address, i.e. the policy acts after the entry node's SNAT. The
 *   address is the one masquerade takes, the entry node's address on the way to the backend's
 *   node: its VXLAN device's (the node's pod block address) in vxlan mode, its eth0's otherwise.
 * - externalTrafficPolicy Cluster, backend on the entry node: the policy runs before that node's
 *   SNAT (forward, or postrouting before srcnat), so it sees the client's address.
 * - externalTrafficPolicy Local: no SNAT (kube-proxy only sends to local endpoints): the client's.
 */
import type { CniMode } from '../model/types';

export interface OutsideHop {
  /** The outside client's address as it reached the node. */
  client: string;
  /** The node whose NodePort the client connected to. */
  entry: { name: string; ip: string; podCIDR: string };
  /** The node the backend pod runs on. */
  backendNode: string;
  externalTrafficPolicy: 'Cluster' | 'Local';
  cni: CniMode;
}

export interface OutsideSource {
  /** The source address the backend's policy rules see. */
  ip: string;
  /** The node that address belongs to, when it is a node's (masqueraded). */
  node?: string;
  why: string;
}

export function policySourceFromOutside(h: OutsideHop): OutsideSource {
  if (h.externalTrafficPolicy === 'Local')
    return { ip: h.client, why: 'externalTrafficPolicy Local: not masqueraded, the client address is kept' };
  if (h.backendNode === h.entry.name)
    return {
      ip: h.client,
      why: `backend on the entry node ${h.entry.name}: the policy runs before that node's SNAT, so it sees the client`,
    };
  const ip = h.cni === 'vxlan' ? h.entry.podCIDR.split('/')[0] : h.entry.ip;
  return {
    ip,
    node: h.entry.name,
    why: `externalTrafficPolicy Cluster: ${h.entry.name} masquerades to ${ip} (${h.cni === 'vxlan' ? 'its VXLAN device' : 'its eth0'}) before forwarding to ${h.backendNode}`,
  };
}
