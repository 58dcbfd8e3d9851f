/**
 * Cluster DNS on a running lab: the zones rendered from the model and the ready endpoints,
 * written into every DNS pod and reloaded (knotc zone-reload, which returns once loaded), with a
 * serial above the served one. syncProxy calls syncDns at the end of every kube-proxy sync, so a
 * change of pods or Services reaches DNS in the same pass as the rules.
 */
import type { LabModel, PodModel } from '../model/types';
import type { EndpointSlice } from '../proxy/endpoints';
import { execScript } from '../runtime/exec';
import { computeEndpoints } from '../proxy/endpoints';
import { LabError } from '../errors';
import { clockSerial, dnsZoneFiles, isDnsPod, renderDnsSync } from '../plan/dns-pod';

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
export async function syncDns(model: LabModel, endpoints: EndpointSlice[], only?: PodModel[]): Promise<DnsPodSync[]> {
  const pods = (only ?? model.pods).filter(isDnsPod);
  const serial = clockSerial();
  return Promise.all(
    pods.map(async (p): Promise<DnsPodSync> => {
      const t0 = Date.now();
      const node = model.nodes.find((n) => n.name === p.node);
      if (!node) return { pod: p.name, node: p.node, ok: false, ms: 0, error: `unknown node ${p.node}` };
      const c = p.containers.find((x) => x.kind === 'dns')!;
      try {
        const r = await execScript(node.container, renderDnsSync(model, p, c, endpoints, { serial }));
        const m = /serial=(\d+)/.exec(r.stdout);
        const err = r.stderr.trim();
        return { pod: p.name, node: p.node, ok: !r.failed && !!m && !err, serial: m ? Number(m[1]) : undefined, ms: Date.now() - t0, ...(err || r.failed ? { error: err || `exit ${r.exitCode}` } : {}) };
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
  const res = await syncDns(model, computeEndpoints(model, () => true), dns);
  const bad = res.filter((r) => !r.ok);
  if (bad.length) throw new LabError(`preparing DNS pods failed: ${bad.map((b) => `${b.pod}: ${b.error}`).join('; ')}`);
}

/** Paths of the zone files a DNS pod serves (in its node container), cluster zone first. */
export function servedZonePaths(model: LabModel, pod: PodModel): { origin: string; path: string }[] {
  return dnsZoneFiles(model, pod);
}
