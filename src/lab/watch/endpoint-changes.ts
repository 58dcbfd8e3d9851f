import type { LabModel } from '../../model/types';
import { EndpointSlice, servicePortName } from '../../proxy/endpoints';

/**
 * What changed in the ready endpoints between two syncs, one line per service port:
 * `default/web:http -10.244.0.4:8080 (not ready) +10.244.1.5:8080`. Only ready endpoints count:
 * they are the ones every proxy mode sends traffic to.
 */
export function endpointChanges(
  before: EndpointSlice[] | undefined,
  after: EndpointSlice[],
  _model: LabModel,
): string[] {
  const ready = (slices: EndpointSlice[] | undefined) => {
    const m = new Map<string, Set<string>>();
    for (const s of slices ?? [])
      m.set(
        servicePortName(s.namespace, s.service, s.portName),
        new Set(s.endpoints.filter((e) => e.ready).map((e) => `${e.ip}:${e.port}`)),
      );
    return m;
  };
  const a = ready(before);
  const b = ready(after);
  // Why an endpoint left: its pod is still there but failed readiness, or it is gone.
  const notReady = new Set<string>();
  const present = new Set<string>();
  for (const s of after)
    for (const e of s.endpoints) {
      present.add(`${e.ip}:${e.port}`);
      if (!e.ready) notReady.add(`${e.ip}:${e.port}`);
    }
  const out: string[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const was = a.get(name) ?? new Set<string>();
    const now = b.get(name) ?? new Set<string>();
    const parts: string[] = [];
    for (const ep of was)
      if (!now.has(ep))
        parts.push(
          `-${ep} (${notReady.has(ep) ? 'not ready' : present.has(ep) ? 'removed' : b.has(name) ? 'pod deleted' : 'service deleted'})`,
        );
    for (const ep of now) if (!was.has(ep)) parts.push(`+${ep}`);
    if (parts.length) out.push(`${name} ${parts.join(' ')}`);
  }
  return out;
}
