/**
 * The edge at runtime: configures the Internet gateway, the Internet host, the load balancer and
 * the VPC router's edge, the nodes' egress masquerade; each kube-proxy sync refreshes the nodes'
 * health servers and the load balancer's config. attachEdgeContainer() gives a later edge
 * container (the ingress) its link to the VPC router and its public address.
 */
import type { EdgeAttachment, LabModel, LinkModel, Role } from '../model/types';
import type { EndpointSlice } from '../proxy/endpoints';
import { execScriptOk } from '../runtime/exec';
import { containerPid, createAndStart, listLabContainers, runToCompletion } from '../runtime/containers';
import { fabricHelperSpec } from '../plan/containers';
import { renderLinkScript } from '../plan/fabric';
import { script } from '../plan/shell';
import { LabError } from '../errors';
import { renderIgw } from '../edge/igw';
import { renderInternetHost } from '../edge/internet';
import { renderLbBase, renderLbSync } from '../edge/lb';
import { renderIpMasqAgent } from '../edge/masq';
import { renderVpcAttachment, renderVpcEdge } from '../edge/vpc';
import { renderHealthzSync } from '../edge/healthz';
import { edgeSpec, renderAttachmentSide } from '../edge/containers';

/** Network setup of the edge, once the links exist (after the VPC router and nodes are configured). */
export async function setupEdge(model: LabModel): Promise<void> {
  const e = model.edge;
  if (!e) return;
  await Promise.all([
    execScriptOk(e.igw.container, script(renderIgw(model)), 'internet gateway setup'),
    execScriptOk(e.lb.container, script(renderLbBase(model)), 'load balancer setup'),
    execScriptOk(model.vpc.container, script(renderVpcEdge(model)), 'vpc router edge setup'),
    ...model.nodes.map((n) =>
      execScriptOk(n.container, script(renderIpMasqAgent(model, n)), `egress masquerade on ${n.name}`),
    ),
    execScriptOk(e.internet.container, script(renderInternetHost(model)), 'internet host setup'),
  ]);
}

/** Called at the end of each kube-proxy sync: health servers on the nodes, the LB's services and nodes. */
export async function syncEdge(model: LabModel, slices: EndpointSlice[], skipNodes?: Set<string>): Promise<void> {
  const e = model.edge;
  if (!e) return;
  await Promise.all([
    ...model.nodes
      .filter((n) => !skipNodes?.has(n.name))
      .map((n) =>
        execScriptOk(n.container, script(renderHealthzSync(model, n, slices)), `health servers on ${n.name}`),
      ),
    execScriptOk(e.lb.container, script(renderLbSync(model)), 'load balancer sync'),
  ]);
}

export interface AttachOptions {
  /** The slot from the model (model.edge.ingress for the ingress container). */
  attachment: EdgeAttachment;
  image: string;
  /** Public addresses the VPC router sends to this container (held on its lo), e.g. [model.edge.ingressIP]. */
  publicIPs?: string[];
  /** Create the container (default true); false when the caller created it already. */
  create?: boolean;
}

/**
 * Attaches an edge container (e.g. `ingress`) to the VPC router: creates it (least privilege,
 * labelled, network none) unless it exists, makes the /30 transit link, gives it its transit
 * address, default route via the VPC router, and its public IPs; the VPC router routes those
 * public IPs to it, and the Internet gateway already routes the whole public range to the VPC.
 * From there the container reaches every node (NodePorts) and the Internet host reaches it.
 */
export async function attachEdgeContainer(model: LabModel, opts: AttachOptions): Promise<LinkModel> {
  const att = opts.attachment;
  const publicIPs = opts.publicIPs ?? [];
  const exists = (await listLabContainers(model.name)).some((c) => c.name === att.container);
  if (opts.create !== false && !exists)
    await createAndStart(edgeSpec(model, att.name, att.container, att.role as Role, opts.image));
  const link = attachmentLink(model, att);
  const pids = {
    [model.vpc.container]: await containerPid(model.vpc.container),
    [att.container]: await containerPid(att.container),
  };
  const helper = await runToCompletion(fabricHelperSpec(model, opts.image, renderLinkScript([link], pids)));
  if (helper.exitCode !== 0)
    throw new LabError(`linking ${att.name} to the VPC router failed: ${helper.output.trim()}`);
  await configureAttachment(model, att, publicIPs);
  return link;
}

/** The /30 transit link between the VPC router and an edge container (lab up makes it with the others). */
export function attachmentLink(model: LabModel, att: EdgeAttachment): LinkModel {
  return {
    a: { container: model.vpc.container, iface: att.vpcIface },
    b: { container: att.container, iface: att.iface },
    mtu: model.cluster.mtu,
  };
}

/** Addresses and routes on both ends of an attachment's link (each end's lines touch only its own side). */
export async function configureAttachment(model: LabModel, att: EdgeAttachment, publicIPs: string[]): Promise<void> {
  await Promise.all([
    execScriptOk(att.container, script(renderAttachmentSide(att, publicIPs)), `${att.name} edge link`),
    execScriptOk(model.vpc.container, script(renderVpcAttachment(att, publicIPs)), `vpc router link to ${att.name}`),
  ]);
}
