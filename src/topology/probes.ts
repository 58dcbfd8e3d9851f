/**
 * startupProbe / livenessProbe / readinessProbe of a container spec, checked as the API server
 * validates them (pkg/apis/core/validation validateProbe, ValidateContainers) and defaulted as
 * pkg/apis/core/v1/defaults.go SetDefaults_Probe does (Kubernetes v1.31).
 */
import type { ContainerPort } from '../model/types';
import type { ContainerProbes, ProbeHandler, ProbeKind, ProbeSpec } from '../model/probe';
import { at, Issues } from './issues';

export const PROBE_DEFAULTS = {
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
};

const FIELDS: Array<[ProbeKind, string]> = [
  ['startup', 'startupProbe'],
  ['liveness', 'livenessProbe'],
  ['readiness', 'readinessProbe'],
];

const HANDLERS = ['httpGet', 'tcpSocket', 'exec', 'grpc'];
const KNOWN = new Set([...HANDLERS, ...Object.keys(PROBE_DEFAULTS), 'terminationGracePeriodSeconds']);

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A probe port: a number, or the name of one of the container's ports (as kubelet resolves it). */
function probePort(v: unknown, ports: ContainerPort[], field: string, issues: Issues): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535) return v;
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return probePort(Number(v), ports, field, issues);
  if (typeof v === 'string') {
    const p = ports.find((x) => x.name === v);
    if (p) return p.containerPort;
    issues.add(
      field,
      `port "${v}" is not a named port of this container`,
      `name one of its ports (${
        ports
          .map((x) => x.name)
          .filter(Boolean)
          .join(', ') || 'it has none'
      }) or give a number`,
    );
    return undefined;
  }
  issues.add(
    field,
    `Invalid value: ${JSON.stringify(v)}: must be a port number 1..65535 or a port name`,
    'e.g. port: 8080 or port: http',
  );
  return undefined;
}

function handlerOf(raw: Raw, path: string, ports: ContainerPort[], issues: Issues): ProbeHandler | undefined {
  const given = HANDLERS.filter((h) => raw[h] !== undefined);
  if (given.length !== 1) {
    issues.add(
      path,
      given.length ? `may not specify more than 1 handler type (${given.join(', ')})` : 'must specify a handler type',
      'give exactly one of httpGet, tcpSocket, exec',
    );
    return undefined;
  }
  const h = given[0];
  const v = raw[h];
  const f = at(path, h);
  if (!isObj(v)) {
    issues.add(
      f,
      'must be a mapping',
      h === 'exec' ? 'write exec: {command: [cat, /tmp/healthy]}' : `write ${h}: {port: 8080}`,
    );
    return undefined;
  }
  if (h === 'grpc') {
    issues.add(
      f,
      'grpc probes are not supported by the lab (its node image has no gRPC health client and netexec serves no gRPC)',
      'use httpGet, tcpSocket or exec',
    );
    return undefined;
  }
  if (h === 'exec') {
    const cmd = v.command;
    if (!Array.isArray(cmd) || cmd.length === 0 || !cmd.every((x) => typeof x === 'string')) {
      issues.add(
        at(f, 'command'),
        'Required value: a non-empty list of strings',
        'write command: [sh, -c, "test -e /tmp/ok"]',
      );
      return undefined;
    }
    return { exec: { command: cmd as string[] } };
  }
  const port = probePort(v.port, ports, at(f, 'port'), issues);
  if (port === undefined) return undefined;
  const host = typeof v.host === 'string' && v.host ? { host: v.host } : {};
  if (h === 'tcpSocket') return { tcpSocket: { port, ...host } };
  const scheme = v.scheme === undefined ? 'HTTP' : v.scheme;
  if (scheme !== 'HTTP' && scheme !== 'HTTPS') {
    issues.add(at(f, 'scheme'), `Unsupported value: ${JSON.stringify(scheme)}`, 'use HTTP or HTTPS');
    return undefined;
  }
  const pathV = v.path === undefined ? '/' : v.path;
  if (typeof pathV !== 'string' || !pathV.startsWith('/')) {
    issues.add(
      at(f, 'path'),
      `Invalid value: ${JSON.stringify(pathV)}: must be an absolute path`,
      'e.g. path: /healthz',
    );
    return undefined;
  }
  const headers: Array<{ name: string; value: string }> = [];
  if (v.httpHeaders !== undefined) {
    if (
      !Array.isArray(v.httpHeaders) ||
      !v.httpHeaders.every(
        (x) =>
          isObj(x) &&
          typeof x.name === 'string' &&
          /^[-A-Za-z0-9!#$%&'*+.^_`|~]+$/.test(x.name) &&
          typeof x.value === 'string',
      )
    ) {
      issues.add(
        at(f, 'httpHeaders'),
        'must be a list of {name, value} with valid header names',
        'write httpHeaders: [{name: X-Probe, value: lab}]',
      );
      return undefined;
    }
    for (const x of v.httpHeaders as Array<{ name: string; value: string }>)
      headers.push({ name: x.name, value: x.value });
  }
  return { httpGet: { path: pathV, port, scheme, headers, ...host } };
}

/** Parses and defaults the three probes of a container; problems go to `issues`. */
export function resolveProbes(
  c: Raw,
  path: string,
  ports: ContainerPort[],
  issues: Issues,
  opts: { exec: boolean },
): ContainerProbes | undefined {
  const out: ContainerProbes = {};
  for (const [kind, field] of FIELDS) {
    const raw = c[field];
    if (raw === undefined) continue;
    const f = at(path, field);
    if (!isObj(raw)) {
      issues.add(f, 'must be a mapping', `write ${field}: {httpGet: {path: /healthz, port: 8080}}`);
      continue;
    }
    for (const k of Object.keys(raw))
      if (!KNOWN.has(k)) issues.add(at(f, k), `unknown field "${k}"`, `a probe has ${[...KNOWN].join(', ')}`);
    const handler = handlerOf(raw, f, ports, issues);
    if (handler && 'exec' in handler && !opts.exec) {
      issues.add(
        at(f, 'exec'),
        'exec probes are not supported for a container pod (an image run as its own Docker container)',
        'use httpGet or tcpSocket',
      );
      continue;
    }
    const num = (k: keyof typeof PROBE_DEFAULTS, min: number): number => {
      const v = raw[k];
      if (v === undefined) return PROBE_DEFAULTS[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
        issues.add(
          at(f, k),
          `Invalid value: ${JSON.stringify(v)}: must be an integer >= ${min}`,
          `leave it out for the default ${PROBE_DEFAULTS[k]}`,
        );
        return PROBE_DEFAULTS[k];
      }
      return v;
    };
    const spec: ProbeSpec | undefined = handler && {
      handler,
      initialDelaySeconds: num('initialDelaySeconds', 0),
      periodSeconds: num('periodSeconds', 1),
      timeoutSeconds: num('timeoutSeconds', 1),
      successThreshold: num('successThreshold', 1),
      failureThreshold: num('failureThreshold', 1),
    };
    if (!spec) continue;
    // validation.go: "must be 1" for liveness and startup probes.
    if (kind !== 'readiness' && spec.successThreshold !== 1) {
      issues.add(
        at(f, 'successThreshold'),
        `Invalid value: ${spec.successThreshold}: must be 1`,
        'liveness and startup probes succeed on the first success',
      );
      continue;
    }
    out[kind] = spec;
  }
  return Object.keys(out).length ? out : undefined;
}
