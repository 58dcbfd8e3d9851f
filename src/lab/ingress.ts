/**
 * The ingress controller's sync: render nginx.conf from the lab's Ingress objects (pure, in
 * src/ingress and src/plan/ingress.ts) and make the `ingress` container serve it. The first sync
 * creates the container and plugs it into the VPC router on the edge's ingress slot (a /30
 * transit link; the VPC router routes the public ingress address to it); later syncs only
 * reload nginx, gracefully. Bad Ingresses throw InputErrors before anything changes.
 */
import type { LabModel } from '../model/types';
import { createAndStart, listLabContainers } from '../runtime/containers';
import { exec, execScript } from '../runtime/exec';
import { ingressConfig, ingressSpec, renderIngressApply } from '../plan/ingress';
import { attachEdgeContainer } from './edge';
import { LabError } from '../errors';
import type { EndpointSlice } from '../proxy/endpoints';

export interface IngressSync {
  /** Why nothing was done (no edge section, or no Ingress and no controller running). */
  skipped?: string;
  /** The container was created (first sync) rather than reloaded. */
  created: boolean;
  action?: 'started' | 'reloaded';
  hosts: number;
  paths: number;
  hash?: string;
  ms: number;
}

export interface IngressSyncOptions {
  /** Lab image for a new container (model.image when absent). */
  image?: string;
  log?: (msg: string) => void;
  /** The endpoints kube-proxy just synced (endpoints-mode upstreams follow them). */
  slices?: EndpointSlice[];
  /** Leave nginx alone when it already serves this config (the per-sync refresh). */
  onlyIfChanged?: boolean;
}

/**
 * Creates the ingress container (its own least-privilege spec) and attaches it to the VPC router
 * with the edge's attachEdgeContainer; idempotent: a container whose eth0 exists is left as is.
 */
async function ensureIngressContainer(model: LabModel, image: string): Promise<boolean> {
  const e = model.edge!;
  const att = e.ingress;
  const have = (await listLabContainers(model.name)).find((c) => c.role === 'ingress');
  if (!have) await createAndStart(ingressSpec(model, image));
  else if (!(await exec(att.container, ['ip', 'link', 'show', att.iface])).failed) return false;
  await attachEdgeContainer(model, { attachment: att, image, publicIPs: [e.ingressIP], create: false });
  return !have;
}

/** One sync of the ingress controller (lab up, and the reconcile step of lab apply). */
export async function syncIngress(model: LabModel, opts: IngressSyncOptions = {}): Promise<IngressSync> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  if (!model.edge) {
    const n = (model.ingresses ?? []).length;
    if (n)
      log(
        `ingress: ${n} Ingress object(s) not served: the lab has no edge: section (no Internet for the load balancer)`,
      );
    return { skipped: 'no edge section', created: false, hosts: 0, paths: 0, ms: Date.now() - t0 };
  }
  // Rendered (and validated) before anything is touched.
  const cfg = ingressConfig(model, opts.slices);
  const running = (await listLabContainers(model.name)).some((c) => c.role === 'ingress');
  if (!running && !(model.ingresses ?? []).length)
    return { skipped: 'no Ingress objects', created: false, hosts: 0, paths: 0, ms: Date.now() - t0 };
  if (opts.onlyIfChanged && !running)
    return { skipped: 'ingress not started yet', created: false, hosts: 0, paths: 0, ms: Date.now() - t0 };
  if (opts.onlyIfChanged) {
    const now = await exec(model.edge.ingress.container, ['curl', '-s', '-m', '2', cfg.statusUrl]);
    if (now.stdout.trim() === cfg.hash)
      return { created: false, hosts: cfg.routes.hosts.length, paths: 0, hash: cfg.hash, ms: Date.now() - t0 };
  }
  const image = opts.image ?? model.image;
  if (!image) throw new LabError('no lab image recorded in the model: cannot start the ingress container');
  const created = await ensureIngressContainer(model, image);
  const r = await execScript(model.edge.ingress.container, renderIngressApply(cfg.conf, cfg.hash, cfg.statusUrl));
  if (r.exitCode === 3)
    throw new LabError(`ingress: ${r.stderr.trim()}`, {
      hint: 'this is a bug in the rendered config; the running config was kept',
    });
  if (r.failed) throw new LabError(`ingress: applying the nginx config failed: ${(r.stderr || r.stdout).trim()}`);
  const action = /reloaded/.test(r.stdout) ? 'reloaded' : 'started';
  const paths = cfg.routes.hosts.reduce((n, h) => n + h.paths.length, 0);
  log(
    `ingress: nginx ${action} on ${model.edge.ingressIP}:80 (${cfg.routes.hosts.length} hosts, ${paths} paths, default backend ${cfg.routes.defaultBackend ? 'set' : 'none: 404'}, config ${cfg.hash})`,
  );
  return { created, action, hosts: cfg.routes.hosts.length, paths, hash: cfg.hash, ms: Date.now() - t0 };
}
