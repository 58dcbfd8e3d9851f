/**
 * Name rules Kubernetes and Linux enforce, with the messages Kubernetes prints
 * (k8s.io/apimachinery/pkg/util/validation), and the short interface/namespace names the
 * lab derives from object names.
 */
import { createHash, randomInt } from 'crypto';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export const DNS1123_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS1035_LABEL_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

/** Problem with a DNS-1123 label (node, pod, namespace, container names), or undefined. */
export function dns1123LabelProblem(v: string): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return 'must be a non-empty DNS-1123 label';
  if (v.length > 63) return `"${v}" must be no more than 63 characters (DNS-1123 label)`;
  if (!DNS1123_LABEL.test(v))
    return (
      `"${v}" is not a DNS-1123 label: a lowercase RFC 1123 label must consist of lower case alphanumeric ` +
      "characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', " +
      "or '123-abc')"
    );
  return undefined;
}

/** Problem with a DNS-1035 label (Service names), or undefined. */
export function dns1035LabelProblem(v: string): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return 'must be a non-empty DNS-1035 label';
  if (v.length > 63) return `"${v}" must be no more than 63 characters (DNS-1035 label)`;
  if (!DNS1035_LABEL.test(v))
    return (
      `"${v}" is not a DNS-1035 label: a DNS-1035 label must consist of lower case alphanumeric characters ` +
      "or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', " +
      "or 'abc-123')"
    );
  return undefined;
}

/** Problem with a DNS-1123 subdomain (cluster domain, ExternalName), or undefined. */
export function dns1123SubdomainProblem(v: string): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return 'must be a non-empty DNS name';
  if (v.length > 253) return `"${v}" must be no more than 253 characters`;
  const labels = v.split('.');
  if (labels.some((l) => !DNS1123_LABEL.test(l) || l.length > 63))
    return (
      `"${v}" is not a DNS-1123 subdomain: lower case alphanumeric characters, '-' or '.', each dot-separated ` +
      "part starting and ending with an alphanumeric character (e.g. 'example.com')"
    );
  return undefined;
}

/** Problem with a port name (IANA_SVC_NAME: container port names and named targetPorts). */
export function portNameProblem(v: string): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return 'must be a non-empty port name';
  if (v.length > 15) return `"${v}" must be no more than 15 characters (IANA_SVC_NAME)`;
  if (!IANA_SVC_NAME.test(v))
    return `"${v}" must contain only lower-case letters, digits and '-', starting and ending with a letter or digit (IANA_SVC_NAME)`;
  if (v.includes('--')) return `"${v}" must not contain consecutive hyphens (IANA_SVC_NAME)`;
  if (!/[a-z]/.test(v)) return `"${v}" must contain at least one letter (IANA_SVC_NAME)`;
  return undefined;
}

/** Problem with a label key (`[prefix/]name`), or undefined. */
export function labelKeyProblem(k: string): string | undefined {
  const slash = k.lastIndexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (prefix !== undefined && dns1123SubdomainProblem(prefix))
    return `label key "${k}": the prefix must be a DNS subdomain (e.g. example.com/my-key)`;
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name))
    return `label key "${k}": the name part must be 63 characters or less, alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character`;
  return undefined;
}

/** Problem with a label value, or undefined. */
export function labelValueProblem(v: string): string | undefined {
  if (typeof v !== 'string') return 'label values must be strings (quote numbers and booleans)';
  if (v === '') return undefined;
  if (v.length > 63 || !LABEL_NAME.test(v))
    return `label value "${v}" must be 63 characters or less, alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character`;
  return undefined;
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Linux caps interface names at 15 characters (IFNAMSIZ - 1). */
export const IFNAMSIZ_MAX = 15;

/**
 * A short interface name: `<prefix><name>` when it fits in 15 characters, otherwise the prefix,
 * the start of the name and a hash so distinct long names stay distinct (`v-node1`,
 * `v-very-0c1d2e3`).
 */
export function shortIfName(prefix: string, name: string): string {
  const plain = prefix + name;
  if (plain.length <= IFNAMSIZ_MAX) return plain;
  const hash = sha256Hex(name).slice(0, 7);
  const room = IFNAMSIZ_MAX - prefix.length - hash.length - 1;
  return `${prefix}${name.slice(0, Math.max(room, 0))}-${hash}`.slice(0, IFNAMSIZ_MAX);
}

/** Host-side veth of a pod, as CNIs name them: `veth` + 8 hex of a hash of namespace/pod. */
export function hostVethName(namespace: string, pod: string, salt = 0): string {
  return 'veth' + sha256Hex(`${namespace}/${pod}${salt ? `#${salt}` : ''}`).slice(0, 8);
}

/**
 * The pod's network namespace name inside its node container. Pod names have no dots, so
 * `<pod>` (namespace default) and `<namespace>.<pod>` never collide; both are legal `ip netns`
 * names (no '/', not '.' or '..').
 */
export function netnsName(namespace: string, pod: string): string {
  return namespace === 'default' ? pod : `${namespace}.${pod}`;
}

/** Characters Kubernetes uses in generated names (k8s.io/apimachinery/pkg/util/rand: no vowels, no 0/1/3 look-alikes). */
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The random generateName suffix the apiserver appends to a ReplicaSet's pod names: five characters
 * of SAFE_ALPHABET (k8s.io/apiserver/pkg/storage/names SimpleNameGenerator, randomLength 5, with
 * k8s.io/apimachinery/pkg/util/rand.String; Kubernetes v1.30).
 */
export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += SAFE_ALPHABET[randomInt(SAFE_ALPHABET.length)];
  return out;
}

/** Five safe characters derived from a key (deterministic names where tests need them). */
export function safeSuffix(key: string, length = 5): string {
  const digest = createHash('sha256').update(key).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += SAFE_ALPHABET[digest[i] % SAFE_ALPHABET.length];
  return out;
}

/** Kubernetes truncates generateName bases to 58 characters so name+suffix fits in 63. */
const MAX_GENERATED_BASE = 58;

/** `<deploy>-<pod-template-hash>-<suffix>`, truncated the way the apiserver does. */
export function deploymentPodName(deploy: string, templateHash: string, suffix: string): string {
  const base = `${deploy}-${templateHash}-`;
  return (base.length > MAX_GENERATED_BASE ? base.slice(0, MAX_GENERATED_BASE) : base) + suffix;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

/** The closest candidate to `word`, when it is close enough to be a plausible typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word, c);
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(Math.max(word.length, best.length) / 3));
  if (
    bestD <= limit ||
    best.toLowerCase().includes(word.toLowerCase()) ||
    word.toLowerCase().includes(best.toLowerCase())
  )
    return best;
  return undefined;
}
