/**
 * localhost-nodeport: what `curl 127.0.0.1:<nodePort>` on a node does, which kube-proxy decides per
 * mode (kubernetes v1.26+; docs/reference/localhost-nodeports.md):
 * - iptables (--iptables-localhost-nodeports=true, the default): route_localnet=1, the connection is
 *   DNAT'd to a backend and masqueraded to one of the node's own addresses.
 * - nftables: localhost NodePorts are not supported; nothing is DNAT'd and nothing listens, so the
 *   kernel refuses the connection at once (a timeout would be the old "hang" and fails).
 * ipvs mode is not probed (the lab's hosts have no IP_VS to observe it on).
 */
import { LabModel, NodeModel, ProxyMode } from '../../model/types';
import { curlArgv, describeCurlFailure, hostOf, parseCurl } from '../../observe/curl';
import { httpServicePorts, ServicePortRef, svcLabel } from '../common/service-select';
import { PathDef, Probe } from '../common/types';
import { need, probe } from '../../observe/probe';

export type LocalhostExpectation = 'forwarded' | 'refused';

/** What Kubernetes specifies for the mode; undefined where the lab does not probe it. */
export function localhostNodePortExpectation(mode: ProxyMode): LocalhostExpectation | undefined {
  if (mode === 'iptables') return 'forwarded';
  if (mode === 'nftables') return 'refused';
  return undefined;
}

function localhostProbe(model: LabModel, ref: ServicePortRef, node: NodeModel, expect: LocalhostExpectation): Probe {
  const url = `http://127.0.0.1:${ref.port.nodePort}`;
  const meta = {
    path: 'localhost-nodeport',
    name: `${node.name}: curl 127.0.0.1:${ref.port.nodePort} (${svcLabel(ref)}) is ${expect} in ${model.cluster.proxy} mode`,
    from: node.name,
    to: `127.0.0.1:${ref.port.nodePort}`,
  };
  // MASQUERADE picks the address of the interface towards the backend: eth0, cbr0 or flannel.1.
  const nodeAddrs = [node.ip, node.cbr0IP, ...(model.cluster.cni === 'vxlan' ? [node.podCIDR.split('/')[0]] : [])];
  return probe(
    meta,
    async (r) => {
      const at = { id: node.name, container: node.container };
      const t0 = Date.now();
      const h = parseCurl(
        ...(await r.run(at, curlArgv(`${url}/hostname`)).then((x) => [x.stdout, x.exitCode] as const)),
      );
      const ms = Date.now() - t0;
      const c =
        h.status === 200
          ? parseCurl(...(await r.run(at, curlArgv(`${url}/clientip`)).then((x) => [x.stdout, x.exitCode] as const)))
          : undefined;
      return { h, c, ms };
    },
    ({ h, c, ms }, ev) => {
      const seen = c?.status === 200 ? hostOf(c.body) : undefined;
      const backend = model.pods.find((p) => p.name === h.body && ref.endpoints.some((e) => e.ip === p.ip));
      ev.observed.curlExit = h.curlExit;
      ev.observed.ms = ms;
      if (expect === 'forwarded') {
        ev.expected.answeredBy = 'a backend';
        ev.expected.serverSawClient = nodeAddrs;
        if (h.status !== 200)
          return `no answer: ${describeCurlFailure(h)} (iptables mode forwards localhost NodePorts)`;
        ev.observed.answeredBy = h.body;
        if (!backend) return `answered by "${h.body}", not a backend of ${svcLabel(ref)}`;
        ev.observed.serverSawClient = need(
          seen,
          `the backend's /clientip gave no address: ${c ? describeCurlFailure(c) : 'not asked'}`,
        );
        if (!nodeAddrs.includes(seen!))
          return `backend saw ${seen}, not one of ${node.name}'s addresses (${nodeAddrs.join(', ')}): not masqueraded`;
        return undefined;
      }
      ev.expected.curlExit = 7;
      if (h.curlExit !== 7) {
        return h.status === 200
          ? `answered by "${h.body}": nftables mode must not serve NodePorts on 127.0.0.1`
          : `${describeCurlFailure(h)} instead of connection refused`;
      }
      return undefined;
    },
  );
}

export const localhostNodePort: PathDef = {
  id: 'localhost-nodeport',
  title: "127.0.0.1:<nodePort> on a node: forwarded in iptables mode, refused in nftables mode (kube-proxy's defaults)",
  probes(model) {
    const expect = localhostNodePortExpectation(model.cluster.proxy);
    if (!expect) return [];
    const ref = httpServicePorts(model).find(
      (r) => r.port.nodePort && r.endpoints.length && r.svc.externalTrafficPolicy === 'Cluster',
    );
    return ref ? model.nodes.map((n) => localhostProbe(model, ref, n, expect)) : [];
  },
  uncovered: (model) =>
    localhostNodePortExpectation(model.cluster.proxy)
      ? 'no NodePort Service (externalTrafficPolicy Cluster) with endpoints serving HTTP'
      : `${model.cluster.proxy} mode is not probed (this kernel has no IP_VS to observe it on)`,
};
