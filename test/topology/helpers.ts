import { InputError, InputErrors } from '../../src/errors';
import type { RawTopology, KubeObject } from '../../src/topology/raw';
import { resolveTopology, ResolveOptions } from '../../src/topology/resolve';

export const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.47';

export function netexec(name = 'web', args: string[] = ['netexec', '--http-port=8080', '--udp-port=8081']) {
  return { name, image: AGNHOST, args };
}

export function pod(name: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...meta },
    spec: { containers: [netexec()], ...spec },
  } as KubeObject;
}

export function deployment(
  name: string,
  replicas: number,
  podSpec: Record<string, unknown> = {},
  labels = { app: name },
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [netexec()], ...podSpec } },
    },
  } as KubeObject;
}

export function service(name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, ...meta }, spec } as KubeObject;
}

/** A small topology; the cluster DNS add-on is off unless `over.cluster.dns` says otherwise, so pod lists stay the test's own. */
export function topo(over: Partial<RawTopology> = {}): RawTopology {
  return {
    name: 't',
    nodes: [{ name: 'node1' }, { name: 'node2' }, { name: 'node3' }],
    ...over,
    cluster: { dns: false, ...(over.cluster ?? {}) },
  };
}

export function resolve(raw: RawTopology, opts: ResolveOptions = {}) {
  return resolveTopology(raw, opts);
}

/** The InputErrors a function throws (fails the test when it throws nothing or something else). */
export function errorsOf(fn: () => unknown): InputError[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputErrors);
    const errs = (e as InputErrors).errors;
    expect((e as InputErrors).exitCode).toBe(2);
    return errs;
  }
  throw new Error('expected InputErrors, nothing was thrown');
}

/** The one error about `field` (asserts there is exactly one). */
export function errorAt(errs: InputError[], field: string): InputError {
  const hits = errs.filter((e) => e.field === field);
  if (hits.length !== 1)
    throw new Error(
      `expected one error at ${field}, got ${hits.length}:\n${errs.map((e) => `${e.message} | ${e.hint}`).join('\n')}`,
    );
  return hits[0];
}
