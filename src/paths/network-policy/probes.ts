/**
 * network-policy: the reachability matrix of the upstream netpol e2e suite, proven live. For every
 * source pod, every destination pod and every port/protocol the destination serves, the expected
 * verdict comes from the oracle (src/netpol/evaluate.ts, the API spec applied to the model) and
 * the observed one from the lab: an answer from the right pod is "allowed"; "denied" needs no
 * answer AND the policy drop set of the source's or destination's node counting that very
 * (source, destination, protocol, port) during the probe, so a denial is confirmed by the kernel,
 * not inferred from a timeout. One probe per source pod; all its cells are tried at once.
 */
import { runPython } from '../../plan/shell';
import { LabModel, PodModel } from '../../model/types';
import { podTarget, Target } from '../../plan/targets';
import { need, probe } from '../../observe/probe';
import { evaluate, EvalPod, EvalWorld } from '../../netpol/evaluate';
import { DROP_SET, NETPOL_TABLE } from '../../netpol/nftables';
import { programSource } from '../../images/programs';
import { PathDef, Probe, ProbeRunner } from '../common/types';

/** Seconds a cell waits for an answer; a denial is confirmed by the drop set, not by this timeout. */
export const CELL_TIMEOUT_SEC = 1;

export interface CellSpec {
  to: PodModel;
  port: number;
  protocol: 'TCP' | 'UDP';
}

/** The ports each pod serves to other pods: its netexec HTTP (TCP) and UDP ports bound beyond loopback. */
export function servedPorts(p: PodModel): { port: number; protocol: 'TCP' | 'UDP' }[] {
  const out: { port: number; protocol: 'TCP' | 'UDP' }[] = [];
  for (const c of p.containers) {
    if ((c.kind ?? 'netexec') !== 'netexec' || c.bind === '127.0.0.1') continue;
    if (c.httpPort) out.push({ port: c.httpPort, protocol: 'TCP' });
    if (c.udpPort) out.push({ port: c.udpPort, protocol: 'UDP' });
  }
  return out.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/** Pods in the matrix: those serving something, in model order. */
export function matrixPods(model: LabModel): PodModel[] {
  return model.pods.filter((p) => p.ip && servedPorts(p).length);
}

export function evalPod(p: PodModel): EvalPod {
  return {
    namespace: p.namespace,
    name: p.name,
    ip: p.ip,
    node: p.node,
    labels: p.labels,
    ports: p.containers.flatMap((c) => c.ports),
  };
}

export function worldOf(model: LabModel): EvalWorld {
  return { policies: model.networkPolicies ?? [], namespaceLabels: model.namespaceLabels ?? {} };
}

const cellKey = (src: string, dst: string, proto: string, port: number) =>
  `${src} ${dst} ${proto.toLowerCase()} ${port}`;

/** Drop-set elements -> packets per `src dst proto port` (nft -j list set output); {} when the table is absent. */
export function parseDropSet(json: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (!json.trim()) return out;
  const doc = JSON.parse(json) as {
    nftables?: Array<{
      set?: { elem?: Array<{ elem?: { val?: { concat?: unknown[] }; counter?: { packets?: number } } }> };
    }>;
  };
  for (const item of doc.nftables ?? []) {
    for (const e of item.set?.elem ?? []) {
      const c = e.elem?.val?.concat;
      if (!c || c.length !== 4) continue;
      const k = cellKey(String(c[0]), String(c[1]), String(c[2]), Number(c[3]));
      out[k] = (out[k] ?? 0) + (e.elem?.counter?.packets ?? 0);
    }
  }
  return out;
}

/** Parses reach.py output lines `IP:PORT/proto ok|fail text`. */
export function parseReach(out: string): Record<string, { ok: boolean; text: string }> {
  const r: Record<string, { ok: boolean; text: string }> = {};
  for (const line of out.split('\n')) {
    const m = /^(\S+) (ok|fail) ?(.*)$/.exec(line.trim());
    if (m) r[m[1]] = { ok: m[2] === 'ok', text: m[3] };
  }
  return r;
}

export function renderReach(cells: CellSpec[], timeoutSec = CELL_TIMEOUT_SEC): string {
  const specs = cells.map((c) => `${c.to.ip}:${c.port}/${c.protocol.toLowerCase()}`);
  return runPython(programSource('reach'), [timeoutSec, ...specs], 'K8S_NETLAB_REACH');
}

const DROP_LIST = (dir: 'ingress' | 'egress') => [
  'sh',
  '-c',
  `nft -j list set inet ${NETPOL_TABLE} ${DROP_SET[dir]} 2>/dev/null || true`,
];

export interface MatrixObservation {
  reach: Record<string, { ok: boolean; text: string }>;
  /** Packets dropped per cell key during the probe, with the node and direction that dropped them. */
  drops: Record<string, { node: string; dir: 'ingress' | 'egress'; packets: number }[]>;
}

async function readDrops(r: ProbeRunner, nodes: Target[]): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  await Promise.all(
    nodes.flatMap((n) =>
      (['ingress', 'egress'] as const).map(async (dir) => {
        const res = await r.run(n, DROP_LIST(dir));
        out[`${n.id} ${dir}`] = parseDropSet(res.stdout);
      }),
    ),
  );
  return out;
}

export async function observeMatrix(
  r: ProbeRunner,
  model: LabModel,
  from: PodModel,
  cells: CellSpec[],
): Promise<MatrixObservation> {
  const nodes: Target[] = model.nodes.map((n) => ({ id: n.name, container: n.container }) as Target);
  const before = await readDrops(r, nodes);
  const res = await r.sh(podTarget(model, from), renderReach(cells));
  const after = await readDrops(r, nodes);
  const drops: MatrixObservation['drops'] = {};
  for (const [where, counts] of Object.entries(after)) {
    const [node, dir] = where.split(' ') as [string, 'ingress' | 'egress'];
    for (const [k, n] of Object.entries(counts)) {
      const delta = n - (before[where]?.[k] ?? 0);
      if (delta > 0 && k.startsWith(`${from.ip} `)) (drops[k] ??= []).push({ node, dir, packets: delta });
    }
  }
  return { reach: parseReach(res.stdout), drops };
}

export interface ObservedCell {
  to: string;
  port: number;
  protocol: string;
  verdict: 'allowed' | 'denied' | 'unconfirmed';
  answeredBy?: string;
  droppedAt?: string;
  error?: string;
}

export interface ExpectedCell {
  to: string;
  port: number;
  protocol: string;
  verdict: 'allowed' | 'denied';
  deciding: string[];
  reason: string;
}

/** One cell's observation: allowed = the right pod answered; denied = no answer and a drop counted. */
export function observedCell(o: MatrixObservation, from: PodModel, c: CellSpec): ObservedCell {
  const spec = `${c.to.ip}:${c.port}/${c.protocol.toLowerCase()}`;
  const got = o.reach[spec];
  const drops = o.drops[cellKey(from.ip, c.to.ip, c.protocol, c.port)] ?? [];
  const base = { to: `${c.to.namespace}/${c.to.name}`, port: c.port, protocol: c.protocol };
  const droppedAt = drops.length ? drops.map((d) => `${d.node} ${d.dir} (${d.packets} pkt)`).join(', ') : undefined;
  if (got?.ok && got.text === c.to.name)
    return { ...base, verdict: 'allowed', answeredBy: got.text, ...(droppedAt ? { droppedAt } : {}) };
  if (!got?.ok && drops.length) return { ...base, verdict: 'denied', droppedAt, ...(got ? { error: got.text } : {}) };
  return {
    ...base,
    verdict: 'unconfirmed',
    ...(got?.ok ? { answeredBy: got.text } : {}),
    error: got
      ? got.ok
        ? `answered by "${got.text}", expected ${c.to.name}`
        : `${got.text}; no policy drop counted`
      : 'no result for this cell',
  };
}

export function expectedCell(world: EvalWorld, from: PodModel, c: CellSpec): ExpectedCell {
  const v = evaluate(world, { pod: evalPod(from) }, { pod: evalPod(c.to) }, c.port, c.protocol);
  return {
    to: `${c.to.namespace}/${c.to.name}`,
    port: c.port,
    protocol: c.protocol,
    verdict: v.allowed ? 'allowed' : 'denied',
    deciding: v.deciding,
    reason: v.reason,
  };
}

export function cellsFrom(model: LabModel, pods = matrixPods(model)): CellSpec[] {
  return pods.flatMap((to) => servedPorts(to).map((sp) => ({ to, ...sp })));
}

function sourceProbe(model: LabModel, from: PodModel): Probe {
  const cells = cellsFrom(model);
  const world = worldOf(model);
  const t = podTarget(model, from);
  return probe(
    {
      path: 'network-policy',
      name: `${from.namespace}/${from.name} -> ${cells.length} cells`,
      from: t.id,
      to: `${matrixPods(model).length} pods`,
    },
    (r) => observeMatrix(r, model, from, cells),
    (o, ev) => {
      const expected = cells.map((c) => expectedCell(world, from, c));
      ev.expected.cells = expected;
      need(
        Object.keys(o.reach).length ? o.reach : undefined,
        `answers of the reachability script in ${from.namespace}/${from.name}`,
      );
      const observed = cells.map((c) => observedCell(o, from, c));
      ev.observed.cells = observed;
      const bad = observed
        .map((ob, i) => ({ ob, ex: expected[i] }))
        .filter(({ ob, ex }) => ob.verdict !== ex.verdict)
        .map(
          ({ ob, ex }) =>
            `${ob.to} ${ob.port}/${ob.protocol}: expected ${ex.verdict}${ex.deciding.length ? ` (${ex.deciding.join(', ')})` : ''}, observed ${ob.verdict}${ob.error ? ` (${ob.error})` : ''}${ob.droppedAt ? ` dropped at ${ob.droppedAt}` : ''}`,
        );
      if (bad.length) return `${bad.length} of ${cells.length} cells differ: ${bad.join('; ')}`;
      return undefined;
    },
  );
}

export const networkPolicy: PathDef = {
  id: 'network-policy',
  title: 'NetworkPolicy: every pod x pod x port x protocol cell as the API spec says (drops confirmed by counters)',
  probes: (model) =>
    (model.networkPolicies?.length ?? 0) > 0 ? matrixPods(model).map((p) => sourceProbe(model, p)) : [],
  // A lab without policies has nothing to enforce: the path stays out of its coverage (as before the path existed).
  appliesTo: (model) => (model.networkPolicies?.length ?? 0) > 0,
  uncovered: (model) =>
    (model.networkPolicies?.length ?? 0) > 0
      ? 'no pod serves a port'
      : 'no NetworkPolicy objects: every pod reaches every other (the pod-to-pod paths prove it)',
};
