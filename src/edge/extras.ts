/** What kube-proxy learns from the cloud: each LoadBalancer Service's status.loadBalancer IP. */
import type { LabModel } from '../model/types';
import type { ProxyOptions, ServiceExtras } from '../proxy/service-ports';

export function loadBalancerExtras(model: LabModel): Record<string, ServiceExtras> {
  const out: Record<string, ServiceExtras> = {};
  for (const s of model.services) {
    if (s.type === 'LoadBalancer' && s.loadBalancerIP)
      out[`${s.namespace}/${s.name}`] = { loadBalancerIPs: [s.loadBalancerIP] };
  }
  return out;
}

/** Options for renderProxyPlan so nodes also accept traffic to a LoadBalancer IP (KUBE-SERVICES / KUBE-FW). */
export function edgeProxyOptions(model: LabModel): ProxyOptions {
  const serviceExtras = loadBalancerExtras(model);
  return Object.keys(serviceExtras).length ? { serviceExtras } : {};
}
