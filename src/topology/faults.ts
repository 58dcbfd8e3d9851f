/**
 * The topology's `faults:` section, pure: each entry a fault as `lab fault inject` takes it, with
 * an optional start delay (`after`) and `duration`, checked against the resolved model with the
 * same rules as the command (src/faults/render.ts checkFault). Errors name the field
 * (`faults[1].target`) and the fix; all of them are reported together.
 */
import type { LabModel, ScheduledFault } from '../model/types';
import { InputError, InputErrors } from '../errors';
import { checkFault } from '../faults/render';

export interface RawFault {
  kind?: unknown;
  target?: unknown;
  from?: unknown;
  percent?: unknown;
  after?: unknown;
  duration?: unknown;
  [k: string]: unknown;
}

/** `90s`, `1.5m`, `500ms`, or a number of seconds → ms; undefined when it is none of those. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(v.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

/** checkFault's fields as the topology spells them. */
const FIELD: Record<string, string> = { KIND: 'kind', TARGET: 'target', '--from': 'from', '--percent': 'percent' };

export function resolveFaults(raw: unknown, model: LabModel): ScheduledFault[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw new InputError('must be a list of faults', {
      field: 'faults',
      hint: 'faults: [{kind: node-stop, target: node2}]',
    });
  const errors: InputError[] = [];
  const out: ScheduledFault[] = [];
  raw.forEach((f: RawFault, i) => {
    const at = `faults[${i}]`;
    if (!f || typeof f !== 'object') {
      errors.push(new InputError('must be a mapping', { field: at, hint: '{kind: node-stop, target: node2}' }));
      return;
    }
    const known = ['kind', 'target', 'from', 'percent', 'after', 'duration'];
    for (const k of Object.keys(f))
      if (!known.includes(k))
        errors.push(new InputError(`unknown field ${k}`, { field: `${at}.${k}`, hint: `use: ${known.join(', ')}` }));
    const after = f.after === undefined ? 0 : parseDuration(f.after);
    const duration = f.duration === undefined ? undefined : parseDuration(f.duration);
    for (const [k, v] of [
      ['after', after],
      ['duration', duration],
    ] as const)
      if (f[k] !== undefined && v === undefined)
        errors.push(
          new InputError(`must be a duration, got ${JSON.stringify(f[k])}`, {
            field: `${at}.${k}`,
            hint: 'e.g. 10s, 1.5m, 500ms, or a number of seconds',
          }),
        );
    if (typeof f.kind !== 'string' || typeof f.target !== 'string') {
      errors.push(
        new InputError(`needs kind and target (strings)`, {
          field: `${at}.${typeof f.kind !== 'string' ? 'kind' : 'target'}`,
          hint: 'e.g. {kind: node-stop, target: node2}',
        }),
      );
      return;
    }
    try {
      checkFault(
        model,
        {
          kind: f.kind,
          target: f.target,
          peer: typeof f.from === 'string' ? f.from : undefined,
          percent: typeof f.percent === 'number' ? f.percent : undefined,
        },
        [],
      );
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const field = e.field && FIELD[e.field] ? `${at}.${FIELD[e.field]}` : at;
      const message = e.field ? e.message.slice(e.field.length + 2) : e.message;
      errors.push(new InputError(message, { field, hint: e.hint }));
      return;
    }
    out.push({
      kind: f.kind,
      target: f.target,
      ...(typeof f.from === 'string' ? { peer: f.from } : {}),
      ...(typeof f.percent === 'number' ? { percent: f.percent } : {}),
      afterMs: after ?? 0,
      ...(duration !== undefined ? { durationMs: duration } : {}),
    });
  });
  if (errors.length) throw new InputErrors(errors);
  return out;
}
