/**
 * Building blocks of the topology schema (src/topology/schema.ts): the value patterns with their
 * human wording, and short constructors for described fields.
 */
import { DNS1035_LABEL_PATTERN, DNS1123_LABEL_PATTERN } from './names';

export type Schema = Record<string, unknown>;

export const CIDR_PATTERN = '^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$';
export const IP_PATTERN = '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$';
export const PORT_RANGE_PATTERN = '^[0-9]{1,5}-[0-9]{1,5}$';
export const CONTAINER_PREFIX_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$';

/** Human wording of the patterns above, used when a value fails one. */
export const PATTERN_TEXT: Record<string, { message: string; hint: string }> = {
  [DNS1123_LABEL_PATTERN]: {
    message: 'must be a DNS-1123 label',
    hint: "use lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. node1, my-pod)",
  },
  [DNS1035_LABEL_PATTERN]: {
    message: 'must be a DNS-1035 label',
    hint: "use lower-case letters, digits and '-', starting with a letter and ending with a letter or digit (e.g. web, my-svc)",
  },
  [CIDR_PATTERN]: { message: 'must be an IPv4 CIDR', hint: 'write it as address/prefix, e.g. 10.0.1.0/24' },
  [IP_PATTERN]: { message: 'must be an IPv4 address', hint: 'write it as a dotted quad, e.g. 10.0.1.11' },
  [PORT_RANGE_PATTERN]: { message: 'must be a port range', hint: 'write it as first-last, e.g. 30000-32767' },
  [CONTAINER_PREFIX_PATTERN]: {
    message: 'must be usable in Docker container names',
    hint: "use letters, digits, '_', '.' and '-', starting with a letter or digit",
  },
};

export const d = (description: string, s: Schema = {}): Schema => ({ description, ...s });
export const str = (description: string, s: Schema = {}): Schema => d(description, { type: 'string', ...s });
export const int = (description: string, s: Schema = {}): Schema => d(description, { type: 'integer', ...s });
export const bool = (description: string): Schema => d(description, { type: 'boolean' });
export const strMap = (description: string): Schema =>
  d(description, {
    type: 'object',
    additionalProperties: { type: 'string', description: 'A label value (string; quote numbers and booleans).' },
  });
export const strList = (description: string, item: Schema = {}): Schema =>
  d(description, { type: 'array', items: { type: 'string', description: 'One entry.', ...item } });
export const obj = (
  description: string,
  properties: Record<string, Schema>,
  required: string[] = [],
  extra: Schema = {},
): Schema => ({
  description,
  type: 'object',
  additionalProperties: false,
  ...(required.length ? { required } : {}),
  properties,
  ...extra,
});

/** Standard Kubernetes fields the lab accepts but does not act on. */
export function accepted(names: string[]): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const n of names)
    out[n] = { description: `Standard Kubernetes field (${n}); accepted, not interpreted by the lab.` };
  return out;
}

export function objectMeta(nameDescription: string, namePattern = DNS1123_LABEL_PATTERN): Schema {
  return obj(
    'Standard Kubernetes object metadata.',
    {
      name: str(nameDescription, { pattern: namePattern, maxLength: 63 }),
      namespace: str(
        'Namespace of the object (default: default). Must be a built-in namespace or one declared by a Namespace object.',
        {
          pattern: DNS1123_LABEL_PATTERN,
          maxLength: 63,
        },
      ),
      labels: strMap('Labels; Service selectors and Deployment selectors match these.'),
      annotations: d('Annotations; kept, not interpreted.', {
        type: 'object',
        additionalProperties: { type: 'string', description: 'An annotation value.' },
      }),
      ...accepted([
        'generateName',
        'uid',
        'resourceVersion',
        'generation',
        'creationTimestamp',
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
        'ownerReferences',
        'finalizers',
        'managedFields',
        'selfLink',
      ]),
    },
    ['name'],
  );
}

/** `status`: written by controllers, accepted so a manifest exported from a cluster loads. */
export const statusField = accepted(['status']);
