/**
 * The `edge:` section -> EdgeModel: the emulated Internet's address plan (gateway, Internet host,
 * cloud load balancer, ingress slot), node public IPs, and LoadBalancer IPs taken from the pool
 * as a cloud controller would (status.loadBalancer.ingress[0].ip). Pure; every problem goes to
 * `issues` so bad input is reported with the rest, before anything is created.
 */
import type { EdgeAttachment, EdgeModel, LinkModel, NodeModel, Role, ServiceModel } from '../model/types';
import {
  Cidr,
  cidrProblem,
  contains,
  firstHost,
  formatCidr,
  formatIp,
  isHostOf,
  lastHost,
  nthBlock,
  overlaps,
  parseCidr,
  parseIp,
} from '../net/ipv4';
import { EDGE_DEFAULTS } from './defaults';
import { Issues } from './issues';
import type { RawEdge, SourcedObject } from './raw';

/** Transit /30 slots in edge.transitCIDR, in this order. */
export const EDGE_SLOTS = ['igw', 'lb', 'ingress'] as const;

export interface EdgeContext {
  lab: string;
  prefix: string;
  /** Ranges the edge must not overlap: VPC subnets, pod and service CIDRs (undefined = invalid, skipped). */
  taken: Array<{ what: string; net?: Cidr }>;
}

function cidr(value: string, field: string, issues: Issues, example: string): Cidr | undefined {
  const p = cidrProblem(value);
  if (p) {
    issues.add(field, p.message, p.fix ? `use ${p.fix}` : `write an IPv4 CIDR such as ${example}`);
    return undefined;
  }
  return parseCidr(value);
}

function attachment(
  name: (typeof EDGE_SLOTS)[number],
  slot: Cidr | undefined,
  ctx: EdgeContext,
  iface: string,
): EdgeAttachment {
  const role: Role = name;
  return {
    name,
    container: `${ctx.prefix}-${ctx.lab}-${name}`,
    role,
    iface,
    ip: slot ? formatIp(slot.network + 2) : '',
    vpcIface: `${name}0`,
    vpcIP: slot ? formatIp(slot.network + 1) : '',
    prefixLen: 30,
  };
}

/** Resolves `edge:`; undefined when the topology has none (LoadBalancer IPs then stay pending). */
export function resolveEdge(raw: RawEdge | undefined, ctx: EdgeContext, issues: Issues): EdgeModel | undefined {
  if (raw === undefined || raw === null) return undefined;
  const e = { ...EDGE_DEFAULTS, ...raw };
  const pub = cidr(e.publicCIDR, 'edge.publicCIDR', issues, EDGE_DEFAULTS.publicCIDR);
  const inet = cidr(e.internetCIDR, 'edge.internetCIDR', issues, EDGE_DEFAULTS.internetCIDR);
  const other = cidr(e.otherClientCIDR, 'edge.otherClientCIDR', issues, EDGE_DEFAULTS.otherClientCIDR);
  const transit = cidr(e.transitCIDR, 'edge.transitCIDR', issues, EDGE_DEFAULTS.transitCIDR);
  const pool = cidr(e.loadBalancerPool, 'edge.loadBalancerPool', issues, EDGE_DEFAULTS.loadBalancerPool);

  if (transit && transit.prefix > 28)
    issues.add(
      'edge.transitCIDR',
      `${e.transitCIDR} is too small: the gateway, load balancer and ingress need a /30 each`,
      'use a /28 or larger, e.g. 100.64.0.0/28',
    );
  if (pool && pub && !(contains(pub, pool.network) && pool.prefix >= pub.prefix))
    issues.add(
      'edge.loadBalancerPool',
      `${e.loadBalancerPool} is not inside edge.publicCIDR ${e.publicCIDR}`,
      `pick a block of ${e.publicCIDR}, e.g. ${EDGE_DEFAULTS.loadBalancerPool}`,
    );

  const named: Array<{ field: string; net?: Cidr; text: string }> = [
    { field: 'edge.publicCIDR', net: pub, text: e.publicCIDR },
    { field: 'edge.internetCIDR', net: inet, text: e.internetCIDR },
    { field: 'edge.otherClientCIDR', net: other, text: e.otherClientCIDR },
    { field: 'edge.transitCIDR', net: transit, text: e.transitCIDR },
  ];
  named.forEach((a, i) => {
    if (!a.net) return;
    for (const b of named.slice(0, i))
      if (b.net && overlaps(a.net, b.net))
        issues.add(a.field, `${a.text} overlaps ${b.field} ${b.text}`, 'the edge ranges must be disjoint');
    for (const t of ctx.taken)
      if (t.net && overlaps(a.net, t.net))
        issues.add(
          a.field,
          `${a.text} overlaps ${t.what} ${formatCidr(t.net)}`,
          'move the edge range (defaults: 203.0.113.0/24, 198.51.100.0/24, 192.0.2.0/24, 100.64.0.0/28)',
        );
  });

  const hostIn = (value: string, field: string, net: Cidr | undefined, netField: string): number | undefined => {
    const a = parseIp(value);
    if (a === undefined) {
      issues.add(field, `"${value}" is not an IPv4 address`, 'write a dotted quad');
      return undefined;
    }
    if (net && !isHostOf(net, a)) {
      issues.add(
        field,
        `${value} is not a host address of ${netField} ${formatCidr(net)}`,
        `use an address between ${formatIp(firstHost(net))} and ${formatIp(lastHost(net))}`,
      );
      return undefined;
    }
    return a;
  };
  const host = hostIn(e.internetHost, 'edge.internetHost', inet, 'edge.internetCIDR');
  if (inet && host !== undefined && host === firstHost(inet))
    issues.add(
      'edge.internetHost',
      `${e.internetHost} is the gateway's address on the Internet network`,
      `use another host address, e.g. ${formatIp(inet.network + 10)}`,
    );
  const ingress = hostIn(e.ingressIP, 'edge.ingressIP', pub, 'edge.publicCIDR');
  if (ingress !== undefined && pool && contains(pool, ingress))
    issues.add(
      'edge.ingressIP',
      `${e.ingressIP} is inside edge.loadBalancerPool ${e.loadBalancerPool}`,
      'pick a public address outside the pool',
    );
  if (ingress !== undefined && pub && ingress === firstHost(pub))
    issues.add(
      'edge.ingressIP',
      `${e.ingressIP} is the gateway's own public address (first host of edge.publicCIDR)`,
      'pick another public address',
    );

  const slot = (i: number) => (transit && transit.prefix <= 28 ? nthBlock(transit, 30, i) : undefined);
  const igw = attachment('igw', slot(0), ctx, 'vpc0');
  return {
    publicCIDR: pub ? formatCidr(pub) : e.publicCIDR,
    internetCIDR: inet ? formatCidr(inet) : e.internetCIDR,
    transitCIDR: transit ? formatCidr(transit) : e.transitCIDR,
    loadBalancerPool: pool ? formatCidr(pool) : e.loadBalancerPool,
    ingressIP: e.ingressIP,
    natIP: pub ? formatIp(firstHost(pub)) : '',
    igw: { ...igw, internetIface: 'inet0', internetIP: inet ? formatIp(firstHost(inet)) : '' },
    lb: attachment('lb', slot(1), ctx, 'eth0'),
    ingress: attachment('ingress', slot(2), ctx, 'eth0'),
    internet: {
      name: 'internet',
      container: `${ctx.prefix}-${ctx.lab}-internet`,
      role: 'internet',
      iface: 'eth0',
      ip: e.internetHost,
      gateway: inet ? formatIp(firstHost(inet)) : '',
      otherClientIP: other ? formatIp(other.network + 10) : '',
      otherClientCIDR: other ? formatCidr(other) : e.otherClientCIDR,
    },
  };
}

/** Public addresses in use besides node public IPs: the gateway's, the ingress', the pool. */
function reservedPublic(edge: EdgeModel): (a: number) => boolean {
  const pool = parseCidr(edge.loadBalancerPool);
  const fixed = new Set([parseIp(edge.natIP), parseIp(edge.ingressIP)]);
  return (a) => fixed.has(a) || (!!pool && contains(pool, a));
}

/**
 * Node public IPs: checks the ones given, and (edge.nodePublicIPs, default true) gives the others
 * the next free address of publicCIDR from .10 up, as a cloud assigns an elastic IP per VM.
 */
export function assignNodePublicIPs(
  nodes: NodeModel[],
  edge: EdgeModel,
  raw: RawEdge | undefined,
  issues: Issues,
): NodeModel[] {
  const pub = parseCidr(edge.publicCIDR);
  if (!pub) return nodes;
  const reserved = reservedPublic(edge);
  const used = new Map<number, string>();
  nodes.forEach((n, i) => {
    if (n.publicIP === undefined) return;
    const a = parseIp(n.publicIP);
    if (a === undefined) return; // reported by the node resolver
    const f = `nodes[${i}].publicIP`;
    if (reserved(a))
      issues.add(
        f,
        `${n.publicIP} is reserved at the edge (gateway ${edge.natIP}, ingress ${edge.ingressIP}, load balancer pool ${edge.loadBalancerPool})`,
        'pick another public address, or leave publicIP out',
      );
    else if (used.has(a))
      issues.add(
        f,
        `${n.publicIP} is already the public IP of node ${used.get(a)}`,
        'give each node its own public address',
      );
    else used.set(a, n.name);
  });
  if ((raw?.nodePublicIPs ?? EDGE_DEFAULTS.nodePublicIPs) === false) return nodes;
  let next = pub.network + 10 <= lastHost(pub) ? pub.network + 10 : firstHost(pub);
  return nodes.map((n) => {
    if (n.publicIP !== undefined) return n;
    while (next <= lastHost(pub) && (used.has(next) || reserved(next))) next++;
    if (next > lastHost(pub)) {
      issues.add(
        'edge.publicCIDR',
        `no free public address left for node ${n.name} in ${edge.publicCIDR}`,
        'use a larger edge.publicCIDR or set nodePublicIPs: false',
      );
      return n;
    }
    used.set(next, n.name);
    return { ...n, publicIP: formatIp(next++) };
  });
}

/** Where a Service object sits in the file, for error fields (`objects[7]`). */
function servicePath(objects: SourcedObject[], svc: ServiceModel): string | undefined {
  const o = objects.find((x) => {
    const ob = x.object as { kind?: string; metadata?: { name?: string; namespace?: string } };
    return (
      ob.kind === 'Service' && ob.metadata?.name === svc.name && (ob.metadata?.namespace ?? 'default') === svc.namespace
    );
  });
  return o?.path;
}

/**
 * LoadBalancer IPs: spec.loadBalancerIP when set (must be a free address of the pool), else the
 * next free pool address in file order. Without an edge the Services stay pending (no IP).
 */
export function assignLoadBalancerIPs(
  services: ServiceModel[],
  edge: EdgeModel | undefined,
  objects: SourcedObject[],
  issues: Issues,
): ServiceModel[] {
  const wanted = (svc: ServiceModel): string | undefined => {
    const p = servicePath(objects, svc);
    const o = objects.find((x) => x.path === p)?.object as { spec?: { loadBalancerIP?: unknown } } | undefined;
    const v = o?.spec?.loadBalancerIP;
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const pool = edge ? parseCidr(edge.loadBalancerPool) : undefined;
  const used = new Map<number, string>();
  const out = services.map((s) => ({ ...s }));
  // Fixed ones first, as the apiserver's allocators take user-chosen values first.
  for (const s of out) {
    const v = wanted(s);
    if (v === undefined) continue;
    const field = `${servicePath(objects, s) ?? `service ${s.namespace}/${s.name}`}.spec.loadBalancerIP`;
    if (s.type !== 'LoadBalancer') {
      issues.add(
        field,
        `may only be set when \`type\` is 'LoadBalancer'`,
        'remove loadBalancerIP, or use type LoadBalancer',
      );
      continue;
    }
    if (!edge) {
      issues.add(
        field,
        'the lab has no edge: section, so no load balancer can hold this address',
        'add `edge: {}` to the topology, or remove loadBalancerIP',
      );
      continue;
    }
    const a = parseIp(v);
    if (a === undefined)
      issues.add(
        field,
        `Invalid value: "${v}": must be a valid IPv4 address`,
        `use an address of edge.loadBalancerPool ${edge.loadBalancerPool}`,
      );
    else if (!pool || !contains(pool, a) || a === pool.network || (pool.prefix < 31 && a === lastHost(pool) + 1))
      issues.add(
        field,
        `${v} is not in edge.loadBalancerPool ${edge.loadBalancerPool}`,
        `use a host address of ${edge.loadBalancerPool}, or leave loadBalancerIP out to have one allocated`,
      );
    else if (used.has(a))
      issues.add(
        field,
        `${v} is already the load balancer IP of ${used.get(a)}`,
        'give each LoadBalancer Service its own address',
      );
    else {
      used.set(a, `${s.namespace}/${s.name}`);
      s.loadBalancerIP = v;
    }
  }
  if (!edge || !pool) return out;
  let next = firstHost(pool);
  for (const s of out) {
    if (s.type !== 'LoadBalancer' || s.loadBalancerIP || wanted(s) !== undefined) continue;
    while (next <= lastHost(pool) && used.has(next)) next++;
    if (next > lastHost(pool)) {
      issues.add(
        `${servicePath(objects, s) ?? s.name}.spec.type`,
        `edge.loadBalancerPool ${edge.loadBalancerPool} is full`,
        'use a larger edge.loadBalancerPool',
      );
      break;
    }
    used.set(next, `${s.namespace}/${s.name}`);
    s.loadBalancerIP = formatIp(next++);
  }
  return out;
}

/** The edge's veth links, made in the same fabric step as the node links. */
export function edgeLinks(edge: EdgeModel, vpcContainer: string, mtu: number): LinkModel[] {
  return [
    {
      a: { container: vpcContainer, iface: edge.igw.vpcIface },
      b: { container: edge.igw.container, iface: edge.igw.iface },
      mtu,
    },
    {
      a: { container: vpcContainer, iface: edge.lb.vpcIface },
      b: { container: edge.lb.container, iface: edge.lb.iface },
      mtu,
    },
    {
      a: { container: edge.igw.container, iface: edge.igw.internetIface },
      b: { container: edge.internet.container, iface: edge.internet.iface },
      mtu,
    },
  ];
}
