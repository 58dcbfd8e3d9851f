/**
 * NetworkPolicy objects (networking.k8s.io/v1) -> NetworkPolicyModel, validated and defaulted as
 * the API server does. Rules and wording follow k8s.io/kubernetes v1.31
 * pkg/apis/networking/validation/validation.go (ValidateNetworkPolicySpec, ValidateNetworkPolicyPort,
 * ValidateIPBlock) and pkg/apis/networking/v1/defaults.go (SetDefaults_NetworkPolicy,
 * SetDefaults_NetworkPolicyPort); label selectors as apimachinery's ValidateLabelSelector.
 * SCTP is valid Kubernetes but the lab has no SCTP servers or probes, so it is refused with a fix.
 */
import { Issues, at } from './issues';
import { cidrProblem, containsCidr, parseCidr } from '../net/ipv4';
import { dns1123LabelProblem, labelKeyProblem, labelValueProblem, portNameProblem } from './names';
import type {
  LabelSelector,
  LabelSelectorRequirement,
  NetworkPolicyModel,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicyRule,
  PolicyType,
} from '../model/netpol';
import { NAMESPACE_NAME_LABEL } from '../model/netpol';

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/** Checks a field holds only the keys listed; reports each other key. */
function onlyKeys(v: Record<string, unknown>, keys: string[], path: string, issues: Issues): void {
  for (const k of Object.keys(v))
    if (!keys.includes(k)) issues.add(at(path, k), `unknown field "${k}"`, `use one of: ${keys.join(', ')}`);
}

function labelMap(v: unknown, path: string, issues: Issues): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) {
    issues.add(path, 'must be a map of label keys to values', 'write e.g. matchLabels: {app: web}');
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    const kp = labelKeyProblem(k);
    if (kp) issues.add(at(path, k), kp, 'use a label key such as app or example.com/tier');
    if (typeof val !== 'string') {
      issues.add(at(path, k), 'a label value must be a string', 'quote numbers and booleans, e.g. "80"');
      continue;
    }
    const vp = labelValueProblem(val);
    if (vp) issues.add(at(path, k), vp, 'use up to 63 letters, digits, -, _ or .');
    out[k] = val;
  }
  return out;
}

/** metav1.LabelSelector as ValidateLabelSelector checks it. */
export function parseSelector(v: unknown, path: string, issues: Issues): LabelSelector {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) {
    issues.add(path, 'must be a label selector', 'write {} (all) or {matchLabels: {app: web}}');
    return {};
  }
  onlyKeys(v, ['matchLabels', 'matchExpressions'], path, issues);
  const sel: LabelSelector = {};
  const ml = labelMap(v.matchLabels, at(path, 'matchLabels'), issues);
  if (ml && Object.keys(ml).length) sel.matchLabels = ml;
  if (v.matchExpressions !== undefined) {
    const mp = at(path, 'matchExpressions');
    if (!Array.isArray(v.matchExpressions))
      issues.add(mp, 'must be a list', 'write - {key: app, operator: In, values: [web]}');
    else {
      const exprs: LabelSelectorRequirement[] = [];
      v.matchExpressions.forEach((e, i) => {
        const ep = `${mp}[${i}]`;
        if (!isObj(e)) return issues.add(ep, 'must be a requirement', 'write {key: app, operator: In, values: [web]}');
        onlyKeys(e, ['key', 'operator', 'values'], ep, issues);
        const key = typeof e.key === 'string' ? e.key : '';
        const kp = labelKeyProblem(key);
        if (kp) issues.add(at(ep, 'key'), kp, 'use a label key such as app');
        const op = e.operator as string;
        if (!(OPERATORS as readonly string[]).includes(op)) {
          issues.add(at(ep, 'operator'), `Unsupported value: "${String(op)}"`, `use one of: ${OPERATORS.join(', ')}`);
          return;
        }
        const values = e.values;
        if (values !== undefined && (!Array.isArray(values) || values.some((x) => typeof x !== 'string'))) {
          issues.add(at(ep, 'values'), 'must be a list of strings', 'quote numbers, e.g. values: ["80"]');
          return;
        }
        const vals = (values ?? []) as string[];
        if ((op === 'In' || op === 'NotIn') && vals.length === 0)
          issues.add(
            at(ep, 'values'),
            `must be specified when \`operator\` is 'In' or 'NotIn'`,
            'list at least one value',
          );
        if ((op === 'Exists' || op === 'DoesNotExist') && vals.length > 0)
          issues.add(
            at(ep, 'values'),
            `may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`,
            'remove values',
          );
        vals.forEach((x, j) => {
          const vp = labelValueProblem(x);
          if (vp) issues.add(`${at(ep, 'values')}[${j}]`, vp, 'use up to 63 letters, digits, -, _ or .');
        });
        exprs.push({
          key,
          operator: op as LabelSelectorRequirement['operator'],
          ...(vals.length ? { values: [...vals] } : {}),
        });
      });
      if (exprs.length) sel.matchExpressions = exprs;
    }
  }
  return sel;
}

function parsePort(v: unknown, path: string, issues: Issues): NetworkPolicyPort | undefined {
  if (!isObj(v)) {
    issues.add(path, 'must be a port', 'write {protocol: TCP, port: 80}');
    return undefined;
  }
  onlyKeys(v, ['protocol', 'port', 'endPort'], path, issues);
  // SetDefaults_NetworkPolicyPort: protocol defaults to TCP.
  const protocol = v.protocol === undefined ? 'TCP' : v.protocol;
  if (protocol === 'SCTP') {
    issues.add(
      at(path, 'protocol'),
      'SCTP is valid in Kubernetes but the lab has no SCTP servers or probes to enforce and prove it',
      'use TCP or UDP',
    );
    return undefined;
  }
  if (protocol !== 'TCP' && protocol !== 'UDP') {
    issues.add(
      at(path, 'protocol'),
      `Unsupported value: "${String(protocol)}"`,
      'use TCP or UDP (SCTP is not emulated)',
    );
    return undefined;
  }
  const out: NetworkPolicyPort = { protocol };
  const port = v.port;
  if (port !== undefined) {
    if (typeof port === 'number') {
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        issues.add(at(path, 'port'), `${port}: must be between 1 and 65535, inclusive`, 'use a port number such as 80');
      else out.port = port;
    } else if (typeof port === 'string') {
      if (/^[0-9]+$/.test(port))
        issues.add(
          at(path, 'port'),
          `"${port}" is a string`,
          `write the number unquoted (port: ${port}) or use a named port`,
        );
      else {
        const np = portNameProblem(port);
        if (np) issues.add(at(path, 'port'), np, 'use a container port name (IANA_SVC_NAME, e.g. serve-80)');
        else out.port = port;
      }
    } else issues.add(at(path, 'port'), 'must be a port number or a port name', 'write e.g. port: 80 or port: http');
  }
  if (v.endPort !== undefined) {
    const end = v.endPort;
    if (typeof end !== 'number' || !Number.isInteger(end) || end < 1 || end > 65535)
      issues.add(at(path, 'endPort'), `${String(end)}: must be between 1 and 65535, inclusive`, 'use a port number');
    else if (port === undefined)
      issues.add(
        at(path, 'port'),
        'must be specified when `endPort` is specified',
        'add port: with the first port of the range',
      );
    else if (typeof port === 'string')
      issues.add(
        at(path, 'endPort'),
        'may not be specified when `port` is non-numeric',
        'use a numeric port with endPort, or drop endPort',
      );
    else if (typeof out.port === 'number' && end < out.port)
      issues.add(at(path, 'endPort'), 'must be greater than or equal to `port`', `use endPort >= ${out.port}`);
    else out.endPort = end;
  }
  return out;
}

function parsePeer(v: unknown, path: string, issues: Issues): NetworkPolicyPeer | undefined {
  if (!isObj(v)) {
    issues.add(
      path,
      'must be a peer',
      'write {podSelector: {...}}, {namespaceSelector: {...}} or {ipBlock: {cidr: ...}}',
    );
    return undefined;
  }
  onlyKeys(v, ['podSelector', 'namespaceSelector', 'ipBlock'], path, issues);
  // validation.go: podSelector and namespaceSelector together are one peer; ipBlock stands alone.
  const selectors =
    (v.podSelector !== undefined || v.namespaceSelector !== undefined ? 1 : 0) + (v.ipBlock !== undefined ? 1 : 0);
  if (selectors === 0) {
    issues.add(path, 'must specify a peer', 'give podSelector and/or namespaceSelector, or ipBlock');
    return undefined;
  }
  if (selectors > 1) {
    issues.add(path, 'may not specify more than 1 peer', 'put ipBlock in its own list entry');
    return undefined;
  }
  const peer: NetworkPolicyPeer = {};
  if (v.podSelector !== undefined) peer.podSelector = parseSelector(v.podSelector, at(path, 'podSelector'), issues);
  if (v.namespaceSelector !== undefined)
    peer.namespaceSelector = parseSelector(v.namespaceSelector, at(path, 'namespaceSelector'), issues);
  if (v.ipBlock !== undefined) {
    const bp = at(path, 'ipBlock');
    const b = v.ipBlock;
    if (!isObj(b)) return (issues.add(bp, 'must be {cidr, except}', 'write {cidr: 10.0.0.0/8}'), undefined);
    onlyKeys(b, ['cidr', 'except'], bp, issues);
    const cidr = typeof b.cidr === 'string' ? b.cidr : '';
    if (!cidr) return (issues.add(at(bp, 'cidr'), 'Required value', 'write cidr: 10.0.0.0/8'), undefined);
    const cp = cidrProblem(cidr);
    if (cp)
      return (
        issues.add(at(bp, 'cidr'), cp.message, cp.fix ? `use ${cp.fix}` : 'write an IPv4 CIDR such as 10.0.0.0/8'),
        undefined
      );
    const outer = parseCidr(cidr)!;
    const except: string[] = [];
    if (b.except !== undefined) {
      if (!Array.isArray(b.except))
        issues.add(at(bp, 'except'), 'must be a list of CIDRs', 'write except: [10.0.1.0/24]');
      else
        b.except.forEach((e, i) => {
          const ep = `${at(bp, 'except')}[${i}]`;
          const ecp = typeof e === 'string' ? cidrProblem(e) : { message: 'must be a CIDR string' };
          if (ecp) return issues.add(ep, ecp.message, 'write an IPv4 CIDR inside cidr');
          const inner = parseCidr(e as string)!;
          if (!containsCidr(outer, inner) || inner.prefix <= outer.prefix)
            issues.add(ep, 'must be a strict subset of `cidr`', `use a block inside ${cidr} with a longer prefix`);
          else except.push(e as string);
        });
    }
    peer.ipBlock = { cidr, ...(except.length ? { except } : {}) };
  }
  return peer;
}

function parseRules(v: unknown, dir: 'ingress' | 'egress', path: string, issues: Issues): NetworkPolicyRule[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    issues.add(path, 'must be a list of rules', `write ${dir}: [{}] to allow all, or ${dir}: [] to allow none`);
    return [];
  }
  const peerKey = dir === 'ingress' ? 'from' : 'to';
  return v.map((r, i): NetworkPolicyRule => {
    const rp = `${path}[${i}]`;
    if (!isObj(r)) {
      issues.add(rp, 'must be a rule', `write {${peerKey}: [...], ports: [...]} or {} to allow all`);
      return { peers: [{ ipBlock: { cidr: '255.255.255.255/32' } }], ports: [] }; // never used: the load fails
    }
    onlyKeys(r, [peerKey, 'ports'], rp, issues);
    const rule: NetworkPolicyRule = {};
    const peers = r[peerKey];
    if (peers !== undefined && peers !== null) {
      if (!Array.isArray(peers))
        issues.add(at(rp, peerKey), 'must be a list of peers', `write ${peerKey}: [{podSelector: {}}]`);
      else if (peers.length)
        rule.peers = peers
          .map((p, j) => parsePeer(p, `${at(rp, peerKey)}[${j}]`, issues))
          .filter((p): p is NetworkPolicyPeer => !!p);
    }
    if (r.ports !== undefined && r.ports !== null) {
      if (!Array.isArray(r.ports))
        issues.add(at(rp, 'ports'), 'must be a list of ports', 'write ports: [{protocol: TCP, port: 80}]');
      else if (r.ports.length)
        rule.ports = r.ports
          .map((p, j) => parsePort(p, `${at(rp, 'ports')}[${j}]`, issues))
          .filter((p): p is NetworkPolicyPort => !!p);
    }
    return rule;
  });
}

/** One NetworkPolicy object -> its model (problems go to issues, with field paths under `path`). */
export function parseNetworkPolicy(object: unknown, path: string, issues: Issues): NetworkPolicyModel | undefined {
  if (!isObj(object))
    return (issues.add(path, 'must be a NetworkPolicy object', 'see topologies/netpol for examples'), undefined);
  const meta = isObj(object.metadata) ? object.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const np = dns1123LabelProblem(name);
  if (np) issues.add(at(path, 'metadata.name'), np, 'use a DNS-1123 label, e.g. deny-all');
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
  const spec = object.spec;
  if (!isObj(spec)) {
    issues.add(at(path, 'spec'), 'Required value', 'write spec: {podSelector: {}} (the pods the policy applies to)');
    return undefined;
  }
  const sp = at(path, 'spec');
  onlyKeys(spec, ['podSelector', 'policyTypes', 'ingress', 'egress'], sp, issues);
  if (spec.podSelector === undefined)
    issues.add(at(sp, 'podSelector'), 'Required value', 'write podSelector: {} to select every pod of the namespace');
  const podSelector = parseSelector(spec.podSelector, at(sp, 'podSelector'), issues);
  const ingress = parseRules(spec.ingress, 'ingress', at(sp, 'ingress'), issues);
  const egress = parseRules(spec.egress, 'egress', at(sp, 'egress'), issues);
  let policyTypes: PolicyType[];
  if (spec.policyTypes === undefined || (Array.isArray(spec.policyTypes) && spec.policyTypes.length === 0)) {
    // SetDefaults_NetworkPolicy: Ingress always; Egress when the egress list is non-empty.
    policyTypes = ['Ingress', ...(egress.length ? (['Egress'] as PolicyType[]) : [])];
  } else if (!Array.isArray(spec.policyTypes)) {
    issues.add(at(sp, 'policyTypes'), 'must be a list', 'write policyTypes: [Ingress, Egress]');
    policyTypes = ['Ingress'];
  } else {
    policyTypes = [];
    spec.policyTypes.forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress')
        issues.add(`${at(sp, 'policyTypes')}[${i}]`, `Unsupported value: "${String(t)}"`, 'use Ingress or Egress');
      else if (policyTypes.includes(t))
        issues.add(`${at(sp, 'policyTypes')}[${i}]`, `Duplicate value: "${t}"`, 'list each policy type once');
      else policyTypes.push(t);
    });
  }
  return { name, namespace, podSelector, policyTypes, ingress, egress };
}

/** Every NetworkPolicy of the topology; a policy name is unique within its namespace. */
export function parseNetworkPolicies(
  objects: { object: unknown; path: string }[],
  namespaces: string[],
  issues: Issues,
): NetworkPolicyModel[] {
  const out: NetworkPolicyModel[] = [];
  const seen = new Map<string, string>();
  for (const { object, path } of objects) {
    const p = parseNetworkPolicy(object, path, issues);
    if (!p) continue;
    if (!namespaces.includes(p.namespace)) continue; // reported by the workload resolver (namespace not found)
    const key = `${p.namespace}/${p.name}`;
    const prev = seen.get(key);
    if (prev) {
      issues.add(
        at(path, 'metadata.name'),
        `networkpolicies.networking.k8s.io "${p.name}" already exists in namespace ${p.namespace} (also defined at ${prev})`,
        'give each NetworkPolicy of a namespace a different name',
      );
      continue;
    }
    seen.set(key, path);
    out.push(p);
  }
  return out;
}

/**
 * Labels of every namespace, with kubernetes.io/metadata.name set to the name as the API server
 * does (k8s.io/kubernetes v1.31 pkg/apis/core/v1/defaults.go SetDefaults_Namespace, feature
 * NamespaceDefaultLabelName, GA in 1.22). Declared labels are kept; a different value for that key is an error.
 */
export function namespaceLabels(
  objects: { object: unknown; path: string }[],
  namespaces: string[],
  issues: Issues,
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const ns of namespaces) out[ns] = { [NAMESPACE_NAME_LABEL]: ns };
  for (const { object, path } of objects) {
    if (!isObj(object) || object.kind !== 'Namespace' || !isObj(object.metadata)) continue;
    const name = object.metadata.name;
    if (typeof name !== 'string' || !out[name]) continue;
    const labels = isObj(object.metadata.labels) ? (object.metadata.labels as Record<string, string>) : {};
    const given = labels[NAMESPACE_NAME_LABEL];
    if (given !== undefined && given !== name)
      issues.add(
        at(path, `metadata.labels["${NAMESPACE_NAME_LABEL}"]`),
        `is set by the API server to the namespace name (${name})`,
        'remove this label',
      );
    out[name] = { ...labels, [NAMESPACE_NAME_LABEL]: name };
  }
  return out;
}
