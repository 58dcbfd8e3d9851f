/**
 * NetworkPolicy (networking.k8s.io/v1) as the lab keeps it: validated and defaulted as the API
 * server does (src/topology/netpol.ts), plain data stored in the model. Field names follow the API.
 */

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** metav1.LabelSelector. Both parts empty selects everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface IPBlock {
  cidr: string;
  except?: string[];
}

/** One entry of `from` / `to`: podSelector and/or namespaceSelector, or ipBlock alone. */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  /** Defaulted to TCP as the API server does. */
  protocol: 'TCP' | 'UDP';
  /** Absent: every port of the protocol. A string is a named container port of the destination pod. */
  port?: number | string;
  endPort?: number;
}

/** One ingress or egress rule. An absent or empty list means "all" (peers or ports). */
export interface NetworkPolicyRule {
  peers?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export type PolicyType = 'Ingress' | 'Egress';

export interface NetworkPolicyModel {
  name: string;
  namespace: string;
  podSelector: LabelSelector;
  /** Always set: defaulted from the rules when the object leaves it out. */
  policyTypes: PolicyType[];
  ingress: NetworkPolicyRule[];
  egress: NetworkPolicyRule[];
}

/** The label the API server sets on every Namespace (Kubernetes >= 1.21, NamespaceDefaultLabelName). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
