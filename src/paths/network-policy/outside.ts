/**
 * network-policy, rows for a source outside the cluster: the VPC router (the lab's outside
 * client) connects to every node's NodePort of each externalTrafficPolicy Cluster Service whose
 * backends are matrix pods. The expected verdict: the oracle (src/netpol/evaluate.ts) on the
 * source the policy sees per src/netpol/outside.ts (the entry node's masquerade address when the
 * backend runs elsewhere, the client's when it runs on the entry node). Observed: the backend's
 * answer, or no answer AND a drop counted by the backend node's policy drop set for that very
 * (source, pod, protocol, port): the element's source is the address the policy saw, compared
 * with the expected one, so the SNAT model itself is checked, not only the verdict.
 */
import type { LabModel, PodModel, ServiceModel } from '../../model/types';
import type { Target } from '../../plan/targets';
import { need, probe } from '../../observe/probe';
import { evaluate } from '../../netpol/evaluate';
import { policySourceFromOutside } from '../../netpol/outside';
import { DROP_SET, NETPOL_TABLE } from '../../netpol/nftables';
import { computeEndpoints } from '../../proxy/endpoints';
import { programSource } from '../../images/programs';
import { runPython } from '../../plan/shell';
import { evalPod, matrixPods, networkPolicy, parseDropSet, parseReach, worldOf } from './probes';
import type { PathDef, Probe, ProbeRunner } from '../common/types';

export const OUTSIDE_TIMEOUT_SEC = 1;

export interface OutsideCell {
  svc: string;
  node: string;
  nodeIP: string;
  nodePort: number;
  protocol: 'TCP' | 'UDP';
  backend: PodModel;
  /** The pod's port after DNAT: what the policy's ports match. */
  port: number;
}

/** Cells: every node x every NodePort (ETP Cluster) of a Service with one matrix-pod backend. */
export function outsideCells(model: LabModel): OutsideCell[] {
  const pods = new Set(matrixPods(model).map((p) => p.ip));
  const slices = computeEndpoints(model, () => true);
  const out: OutsideCell[] = [];
  const eligible = (s: ServiceModel) =>
    (s.type === 'NodePort' || s.type === 'LoadBalancer') && s.externalTrafficPolicy === 'Cluster';
  for (const svc of model.services.filter(eligible))
    for (const sp of svc.ports) {
      if (!sp.nodePort) continue;
      const eps = slices
        .filter((x) => x.namespace === svc.namespace && x.service === svc.name && x.protocol === sp.protocol)
        .filter((x) => x.port === sp.port)
        .flatMap((x) => x.endpoints);
      // One backend, so the answer and the drop are attributable without a load-balancing guess.
      if (eps.length !== 1 || !pods.has(eps[0].ip)) continue;
      const backend = model.pods.find((p) => p.ip === eps[0].ip)!;
      for (const n of model.nodes)
        out.push({
          svc: `${svc.namespace}/${svc.name}`,
          node: n.name,
          nodeIP: n.ip,
          nodePort: sp.nodePort,
          protocol: sp.protocol,
          backend,
          port: eps[0].port,
        });
    }
  return out;
}

const spec = (c: OutsideCell) => `${c.nodeIP}:${c.nodePort}/${c.protocol.toLowerCase()}`;

/** The outside client's address as nodes see it: the VPC router's address on the node's subnet. */
export function outsideClient(model: LabModel, node: string): string {
  const n = model.nodes.find((x) => x.name === node)!;
  return n.gateway;
}

export function expectedOutside(model: LabModel, c: OutsideCell) {
  const entry = model.nodes.find((n) => n.name === c.node)!;
  const seen = policySourceFromOutside({
    client: outsideClient(model, c.node),
    entry: { name: entry.name, ip: entry.ip, podCIDR: entry.podCIDR },
    backendNode: c.backend.node,
    externalTrafficPolicy: 'Cluster',
    cni: model.cluster.cni,
  });
  const v = evaluate(
    worldOf(model),
    { host: { ip: seen.ip, node: seen.node } },
    { pod: evalPod(c.backend) },
    c.port,
    c.protocol,
  );
  return {
    to: `${c.backend.namespace}/${c.backend.name} via ${c.node}`,
    entry: `${c.svc} ${c.nodeIP}:${c.nodePort}/${c.protocol}`,
    verdict: v.allowed ? ('allowed' as const) : ('denied' as const),
    policySees: seen.ip,
    why: seen.why,
    deciding: v.deciding,
    reason: v.reason,
  };
}

function renderOutsideReach(cells: OutsideCell[]): string {
  return runPython(programSource('reach'), [OUTSIDE_TIMEOUT_SEC, ...cells.map(spec)], 'K8S_NETLAB_REACH');
}

type Drops = Record<string, Record<string, number>>;
async function readIngressDrops(r: ProbeRunner, model: LabModel): Promise<Drops> {
  const out: Drops = {};
  await Promise.all(
    model.nodes.map(async (n) => {
      const res = await r.run({ id: n.name, container: n.container } as Target, [
        'sh',
        '-c',
        `nft -j list set inet ${NETPOL_TABLE} ${DROP_SET.ingress} 2>/dev/null || true`,
      ]);
      out[n.name] = parseDropSet(res.stdout);
    }),
  );
  return out;
}

export interface OutsideObservation {
  reach: Record<string, { ok: boolean; text: string }>;
  /** Drop sets read around each entry node's turn: a drop belongs to the entry node whose turn counted it. */
  turns: Record<string, { before: Drops; after: Drops }>;
  /** Pod addresses: a drop from a pod (another probe meanwhile) is not an outside cell's. */
  podIPs: string[];
}

/** Drops counted during the probe at the backend's node for (any source, pod, proto, port): the sources the policy saw. */
export function droppedSources(o: OutsideObservation, c: OutsideCell): { src: string; packets: number }[] {
  const turn = o.turns[c.node];
  const after = turn?.after[c.backend.node] ?? {};
  const before = turn?.before[c.backend.node] ?? {};
  const tail = ` ${c.backend.ip} ${c.protocol.toLowerCase()} ${c.port}`;
  return Object.entries(after)
    .filter(([k, n]) => k.endsWith(tail) && n - (before[k] ?? 0) > 0 && !o.podIPs.includes(k.split(' ')[0]))
    .map(([k, n]) => ({ src: k.split(' ')[0], packets: n - (before[k] ?? 0) }));
}

export function observedOutside(o: OutsideObservation, c: OutsideCell) {
  const got = o.reach[spec(c)];
  const drops = droppedSources(o, c);
  const policySaw = drops.map((d) => d.src).join(', ') || undefined;
  if (got?.ok && got.text === c.backend.name) return { verdict: 'allowed' as const, answeredBy: got.text };
  if (!got?.ok && drops.length)
    return { verdict: 'denied' as const, policySaw, droppedAt: `${c.backend.node} ingress`, error: got?.text };
  return {
    verdict: 'unconfirmed' as const,
    ...(policySaw ? { policySaw } : {}),
    error: got
      ? got.ok
        ? `answered by "${got.text}", expected ${c.backend.name}`
        : `${got.text}; no policy drop counted`
      : 'no result',
  };
}

/** One probe: the outside client's row of the matrix. */
export function outsideProbe(model: LabModel): Probe | undefined {
  const cells = outsideCells(model);
  if (!cells.length) return undefined;
  const vpc = { id: 'vpc', container: model.vpc.container } as Target;
  return probe(
    {
      path: 'network-policy',
      name: `outside -> ${cells.length} cells`,
      from: 'vpc',
      to: `${new Set(cells.map((c) => c.svc)).size} NodePort Service(s) on ${model.nodes.length} nodes`,
    },
    // One entry node at a time: the cells of one turn differ in (protocol, port), so every drop
    // counted during a turn is attributed to exactly one cell, with the source the policy saw.
    async (r): Promise<OutsideObservation> => {
      const o: OutsideObservation = { reach: {}, turns: {}, podIPs: model.pods.map((p) => p.ip) };
      let before = await readIngressDrops(r, model);
      for (const n of model.nodes) {
        const mine = cells.filter((c) => c.node === n.name);
        if (!mine.length) continue;
        const res = await r.sh(vpc, renderOutsideReach(mine));
        const after = await readIngressDrops(r, model);
        Object.assign(o.reach, parseReach(res.stdout));
        o.turns[n.name] = { before, after };
        before = after;
      }
      return o;
    },
    (o, ev) => {
      const expected = cells.map((c) => expectedOutside(model, c));
      ev.expected.cells = expected.map((e, i) => ({ ...e, port: cells[i].port, protocol: cells[i].protocol }));
      need(Object.keys(o.reach).length ? o.reach : undefined, 'answers of the reachability script in the VPC router');
      const observed = cells.map((c) => observedOutside(o, c));
      ev.observed.cells = observed;
      const bad = observed.flatMap((ob, i) => {
        const ex = expected[i];
        if (ob.verdict !== ex.verdict)
          return [
            `${ex.to}: expected ${ex.verdict} (policy sees ${ex.policySees}), observed ${ob.verdict}${'error' in ob && ob.error ? ` (${ob.error})` : ''}`,
          ];
        if (ob.verdict === 'denied' && ob.policySaw !== ex.policySees)
          return [
            `${ex.to} ${ex.entry}: denied as expected, but the policy saw ${ob.policySaw}, not ${ex.policySees} (${ex.why})`,
          ];
        return [];
      });
      if (bad.length) return `${bad.length} of ${cells.length} outside cells differ: ${bad.join('; ')}`;
      return undefined;
    },
  );
}

/** The network-policy path: the pod x pod matrix plus the outside client's row (labs with policies). */
/** The matrix's pod rows plus the outside client's row. */
export const networkPolicyWithOutside: PathDef = {
  ...networkPolicy,
  probes: (model) => {
    const rows = networkPolicy.probes(model);
    const outside = rows.length ? outsideProbe(model) : undefined;
    return outside ? [...rows, outside] : rows;
  },
};
