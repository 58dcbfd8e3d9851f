/**
 * The ingress container (the guide's ALB): container spec (its network, a /30 transit link to
 * the VPC router with the public ingress address on lo, is the edge's attachEdgeContainer), the
 * config, and the script that installs a rendered nginx.conf: checked with `nginx -t` first (a bad config leaves
 * the running one untouched), then started, or reloaded gracefully (`nginx -s reload`: old
 * workers finish their requests, new connections go to the new workers).
 */
import type { LabModel } from '../model/types';
import type { ContainerSpec } from './container-spec';
import { q, waitUntil, writeFileLines } from './shell';
import { privilegesFor } from './security';
import { ingressRoutes } from '../ingress/parse';
import { renderNginxConf, renderedHash, STATUS_PORT } from '../ingress/nginx';
import { BACKEND_MODE_ANNOTATION, type IngressRoutes } from '../ingress/types';
import { computeEndpoints, type EndpointSlice } from '../proxy/endpoints';
import { InputError } from '../errors';

export const INGRESS_DIR = '/etc/k8s-netlab/ingress';
export const INGRESS_CONF = `${INGRESS_DIR}/nginx.conf`;
export const INGRESS_RUN_DIR = '/run/k8s-netlab-ingress';
export const INGRESS_ACCESS_LOG = '/var/log/k8s-netlab-ingress/access.log';

/** Least privilege (src/plan/security.ts): NET_ADMIN for its own address and routes; nginx binds :80 and drops its workers to www-data. */
export function ingressSpec(model: LabModel, image: string): ContainerSpec {
  const att = model.edge!.ingress;
  return {
    name: att.container,
    hostname: 'ingress',
    image,
    lab: model.name,
    role: 'ingress',
    privileges: privilegesFor('ingress'),
    sysctls: { 'net.ipv6.conf.all.disable_ipv6': '1', 'net.ipv6.conf.default.disable_ipv6': '1' },
    cmd: ['sleep', 'infinity'],
  };
}

/**
 * Installs `conf` and makes nginx run it, then waits until the status server answers `hash`
 * (the new workers are serving). Exit 3 = the config was rejected (nothing changed).
 */
export function renderIngressApply(conf: string, hash: string, statusUrl: string): string {
  const next = `${INGRESS_CONF}.next`;
  return (
    [
      'set -eu',
      `mkdir -p ${INGRESS_DIR} ${INGRESS_RUN_DIR} ${q(INGRESS_ACCESS_LOG.replace(/\/[^/]*$/, ''))}`,
      ...writeFileLines(next, conf, { tag: 'K8S_NETLAB_INGRESS_EOF' }),
      // A config nginx rejects never replaces the running one.
      `if ! out=$(nginx -t -q -e stderr -c ${next} 2>&1); then echo "nginx rejected the rendered config: $out" >&2; exit 3; fi`,
      `mv ${next} ${INGRESS_CONF}`,
      `pid=${INGRESS_RUN_DIR}/nginx.pid`,
      `if [ -e "$pid" ] && kill -0 "$(cat "$pid")" 2>/dev/null; then nginx -e stderr -c ${INGRESS_CONF} -s reload; echo reloaded; else nginx -e stderr -c ${INGRESS_CONF}; echo started; fi`,
      waitUntil(`[ "$(curl -s -m 1 ${q(statusUrl)})" = ${q(hash)} ]`, {
        what: `nginx does not serve config ${hash}`,
        onTimeout: `tail -n 20 ${INGRESS_RUN_DIR}/error.log >&2`,
      }),
    ].join('\n') + '\n'
  );
}

export interface IngressConfig {
  routes: IngressRoutes;
  conf: string;
  /** What the status server answers once nginx runs this config. */
  hash: string;
  /** URL of the status server's /config-hash inside the ingress container. */
  statusUrl: string;
}

/** Ingresses annotated for endpoints mode (BACKEND_MODE_ANNOTATION). */
export function usesEndpointsMode(model: Pick<LabModel, 'ingresses'>): boolean {
  return (model.ingresses ?? []).some((i) => {
    const a = (i as { metadata?: { annotations?: Record<string, unknown> } }).metadata?.annotations;
    return a?.[BACKEND_MODE_ANNOTATION] === 'endpoints';
  });
}

/**
 * The ingress controller's whole config for a lab; throws InputErrors when an Ingress is bad.
 * `slices` (the endpoints kube-proxy just synced) feed endpoints-mode upstreams; without them
 * every pod counts as ready (lab up has just waited for them).
 */
export function ingressConfig(model: LabModel, slices?: EndpointSlice[]): IngressConfig {
  const routes = ingressRoutes(model);
  if (usesEndpointsMode(model) && model.cluster.cni !== 'vpc-routes' && model.cluster.cni !== 'vpc-native') {
    throw new InputError(
      `an Ingress in endpoints mode needs pod IPs the VPC can route to; cni ${model.cluster.cni} keeps them inside the cluster`,
      {
        field: `metadata.annotations.${BACKEND_MODE_ANNOTATION}`,
        hint: 'use cni vpc-routes or vpc-native (as an ALB in IP mode needs the VPC CNI), or leave the Ingress in nodeport mode',
      },
    );
  }
  const statusListen = `127.0.0.1:${STATUS_PORT}`;
  const conf = renderNginxConf(
    routes,
    model.nodes.map((n) => ({ ip: n.ip })),
    { listen: '80', runDir: INGRESS_RUN_DIR, statusListen, endpoints: slices ?? computeEndpoints(model) },
  );
  const hash = renderedHash(conf);
  if (!hash) throw new Error('rendered nginx config has no status server');
  return { routes, conf, hash, statusUrl: `http://${statusListen}/config-hash` };
}
