/**
 * Cluster DNS on a running lab: the zones rendered from the model and the ready endpoints,
 * written into every DNS pod and reloaded (knotc zone-reload, which returns once loaded), with a
 * serial above the served one; CoreDNS pods get theirs as host files their `reload 1s` picks up
 * (src/plan/coredns-pod.ts). syncProxy calls syncDns at the end of every kube-proxy sync, so a
 * change of pods or Services reaches DNS in the same pass as the rules.
 */
import type { LabModel, NodeModel, PodModel } from '../model/types';
import type { EndpointSlice } from '../proxy/endpoints';
import { execScript } from '../runtime/exec';
import { computeEndpoints } from '../proxy/endpoints';
import { LabError } from '../errors';
import { clockSerial, isDnsPod, renderDnsSync } from '../plan/dns-pod';
import {
  coreDnsPodDir,
  isCoreDnsPod,
  renderCoreDnsAwaitSerial,
  renderCoreDnsFiles,
  renderCoreDnsSync,
} from '../plan/coredns-pod';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';

export { isDnsPod };

export interface DnsPodSync {
  pod: string;
  node: string;
  ok: boolean;
  /** Serial now served (when ok). */
  serial?: number;
  ms: number;
  error?: string;
}

/** The DNS pods of the lab (the coredns Deployment's pods). */
export function dnsPods(model: LabModel): PodModel[] {
  return model.pods.filter(isDnsPod);
}

/**
 * Writes zones and configs into each DNS pod (all, or `only`) and reloads them. Never throws for
 * one pod's failure: a node that is gone must not stop kube-proxy's sync; the result says.
 */
export async function syncDns(
  model: LabModel,
  endpoints: EndpointSlice[],
  only?: PodModel[],
  opts: { awaitServed?: boolean } = {},
): Promise<DnsPodSync[]> {
  const pods = (only ?? model.pods).filter(isDnsPod);
  const serial = clockSerial();
  return Promise.all(
    pods.map(async (p): Promise<DnsPodSync> => {
      const t0 = Date.now();
      const node = model.nodes.find((n) => n.name === p.node);
      if (!node) return { pod: p.name, node: p.node, ok: false, ms: 0, error: `unknown node ${p.node}` };
      if (isCoreDnsPod(p)) return syncCoreDnsPod(model, p, node, endpoints, serial, t0, opts.awaitServed ?? true);
      const c = p.containers.find((x) => x.kind === 'dns')!;
      try {
        const r = await execScript(node.container, renderDnsSync(model, p, c, endpoints, { serial }));
        const m = /serial=(\d+)/.exec(r.stdout);
        const err = r.stderr.trim();
        return {
          pod: p.name,
          node: p.node,
          ok: !r.failed && !!m && !err,
          serial: m ? Number(m[1]) : undefined,
          ms: Date.now() - t0,
          ...(err || r.failed ? { error: err || `exit ${r.exitCode}` } : {}),
        };
      } catch (e) {
        return { pod: p.name, node: p.node, ok: false, ms: Date.now() - t0, error: (e as Error).message };
      }
    }),
  );
}

/**
 * Before DNS pods start: their files, rendered with every pod of the model counted ready (the
 * sync after the start corrects that with the observed readiness).
 */
export async function prepareDnsPods(model: LabModel, pods: PodModel[]): Promise<void> {
  const dns = pods.filter(isDnsPod);
  if (!dns.length) return;
  // Before they start: nothing serves yet, so nothing to wait for.
  const res = await syncDns(
    model,
    computeEndpoints(model, () => true),
    dns,
    { awaitServed: false },
  );
  const bad = res.filter((r) => !r.ok);
  if (bad.length) throw new LabError(`preparing DNS pods failed: ${bad.map((b) => `${b.pod}: ${b.error}`).join('; ')}`);
}

/** The serial recorded in a CoreDNS pod's host directory (0 when none). */
export function readHostSerial(dir: string): number {
  try {
    const n = Number(readFileSync(path.join(dir, 'serial'), 'utf8').trim());
    return Number.isFinite(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

/**
 * Writes a CoreDNS pod's files into its host directory, each replaced by rename so CoreDNS never
 * reads half a file. Skipped (false) when the directory already holds this serial or a higher
 * one: a concurrent sync got there first, and going back would not be reloaded.
 */
export function writeCoreDnsFiles(dir: string, files: Record<string, string>, serial: number): boolean {
  if (serial <= readHostSerial(dir)) return false;
  for (const [rel, text] of Object.entries(files)) {
    const f = path.join(dir, rel);
    mkdirSync(path.dirname(f), { recursive: true, mode: 0o755 });
    if (existsSync(f) && readFileSync(f, 'utf8') === text) continue;
    const tmp = `${f}.tmp-${process.pid}`;
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, f);
  }
  writeFileSync(path.join(dir, 'serial'), `${serial}\n`);
  return true;
}

/**
 * One CoreDNS pod: the node's copy first (its lock and serial rule pick the serial, above the host
 * directory's), then the host files CoreDNS reads, with that serial; `reload 1s` picks them up.
 */
async function syncCoreDnsPod(
  model: LabModel,
  p: PodModel,
  node: NodeModel,
  endpoints: EndpointSlice[],
  candidate: number,
  t0: number,
  awaitServed: boolean,
): Promise<DnsPodSync> {
  try {
    const dir = coreDnsPodDir(model, p);
    const r = await execScript(
      node.container,
      renderCoreDnsSync(model, p, endpoints, Math.max(candidate, readHostSerial(dir) + 1)),
    );
    const m = /serial=(\d+)/.exec(r.stdout);
    const err = r.stderr.trim();
    if (r.failed || !m || err)
      return { pod: p.name, node: p.node, ok: false, ms: Date.now() - t0, error: err || `exit ${r.exitCode}` };
    const serial = Number(m[1]);
    writeCoreDnsFiles(dir, renderCoreDnsFiles(model, p, endpoints, serial), serial);
    // The sync is done when CoreDNS serves it, not when the file is written (reload 1s).
    if (awaitServed) await execScript(node.container, renderCoreDnsAwaitSerial(model, p, serial));
    return { pod: p.name, node: p.node, ok: true, serial, ms: Date.now() - t0 };
  } catch (e) {
    return { pod: p.name, node: p.node, ok: false, ms: Date.now() - t0, error: (e as Error).message };
  }
}

/** Removes the host directories of deleted CoreDNS pods. */
export function removeCoreDnsFiles(model: LabModel, pods: PodModel[]): void {
  for (const p of pods.filter(isCoreDnsPod)) rmSync(coreDnsPodDir(model, p), { recursive: true, force: true });
}
