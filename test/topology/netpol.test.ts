import { InputErrors } from '../../src/errors';
import { errorAt, errorsOf, pod, resolve, topo } from './helpers';
import type { KubeObject } from '../../src/topology/raw';

const ns = (name: string, labels: Record<string, string> = {}) =>
  ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }) as KubeObject;
const np = (name: string, spec: unknown, namespace = 'x') =>
  ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec }) as KubeObject;
const base = (...policies: KubeObject[]) =>
  topo({
    objects: [ns('x', { team: 'blue' }), ns('y'), pod('a', {}, { namespace: 'x', labels: { pod: 'a' } }), ...policies],
  });

describe('NetworkPolicy loading', () => {
  it('defaults policyTypes as the API server does and keeps the rules', () => {
    const m = resolve(
      base(
        np('ing-only', { podSelector: {}, ingress: [{}] }),
        np('both', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{ to: [{ namespaceSelector: {} }] }] }),
        np('egress-empty', { podSelector: {}, egress: [] }),
        np('explicit', { podSelector: {}, policyTypes: ['Egress'] }),
      ),
    );
    const byName = Object.fromEntries((m.networkPolicies ?? []).map((p) => [p.name, p]));
    expect(byName['ing-only'].policyTypes).toEqual(['Ingress']);
    expect(byName['ing-only'].ingress).toEqual([{}]);
    expect(byName.both.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(byName['egress-empty'].policyTypes).toEqual(['Ingress']);
    expect(byName.explicit.policyTypes).toEqual(['Egress']);
  });

  it('defaults a port protocol to TCP and keeps named ports and endPort', () => {
    const m = resolve(
      base(
        np('p', {
          podSelector: {},
          ingress: [{ ports: [{ port: 80 }, { protocol: 'UDP', port: 'serve-81-udp' }, { port: 80, endPort: 81 }] }],
        }),
      ),
    );
    expect(m.networkPolicies![0].ingress[0].ports).toEqual([
      { protocol: 'TCP', port: 80 },
      { protocol: 'UDP', port: 'serve-81-udp' },
      { protocol: 'TCP', port: 80, endPort: 81 },
    ]);
  });

  it('labels every namespace with kubernetes.io/metadata.name', () => {
    const m = resolve(base());
    expect(m.namespaceLabels!.x).toEqual({ team: 'blue', 'kubernetes.io/metadata.name': 'x' });
    expect(m.namespaceLabels!.y).toEqual({ 'kubernetes.io/metadata.name': 'y' });
    expect(m.namespaceLabels!.default).toEqual({ 'kubernetes.io/metadata.name': 'default' });
  });

  it('a lab without policies has none in its model', () => {
    expect(resolve(base()).networkPolicies).toBeUndefined();
  });

  it('refuses SCTP with the field and the fix', () => {
    const errs = errorsOf(() =>
      resolve(base(np('s', { podSelector: {}, ingress: [{ ports: [{ protocol: 'SCTP', port: 80 }] }] }))),
    );
    const e = errorAt(errs, 'objects[3].spec.ingress[0].ports[0].protocol');
    expect(e.message).toMatch(/SCTP/);
    expect(e.hint).toMatch(/TCP or UDP/);
  });

  it.each([
    [
      'a peer with nothing in it',
      { podSelector: {}, ingress: [{ from: [{}] }] },
      'objects[3].spec.ingress[0].from[0]',
      /must specify a peer/,
    ],
    [
      'ipBlock with a selector',
      { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] },
      'objects[3].spec.ingress[0].from[0]',
      /more than 1 peer/,
    ],
    [
      'except outside cidr',
      { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24'] } }] }] },
      'objects[3].spec.egress[0].to[0].ipBlock.except[0]',
      /strict subset/,
    ],
    [
      'except equal to cidr',
      { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/16'] } }] }] },
      'objects[3].spec.egress[0].to[0].ipBlock.except[0]',
      /strict subset/,
    ],
    [
      'a bad cidr',
      { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.1/33' } }] }] },
      'objects[3].spec.egress[0].to[0].ipBlock.cidr',
      /./,
    ],
    [
      'endPort without port',
      { podSelector: {}, ingress: [{ ports: [{ endPort: 90 }] }] },
      'objects[3].spec.ingress[0].ports[0].port',
      /must be specified when `endPort`/,
    ],
    [
      'endPort below port',
      { podSelector: {}, ingress: [{ ports: [{ port: 90, endPort: 80 }] }] },
      'objects[3].spec.ingress[0].ports[0].endPort',
      /greater than or equal/,
    ],
    [
      'endPort with a named port',
      { podSelector: {}, ingress: [{ ports: [{ port: 'http', endPort: 80 }] }] },
      'objects[3].spec.ingress[0].ports[0].endPort',
      /non-numeric/,
    ],
    [
      'port 0',
      { podSelector: {}, ingress: [{ ports: [{ port: 0 }] }] },
      'objects[3].spec.ingress[0].ports[0].port',
      /between 1 and 65535/,
    ],
    [
      'a bad port name',
      { podSelector: {}, ingress: [{ ports: [{ port: 'Serve_80' }] }] },
      'objects[3].spec.ingress[0].ports[0].port',
      /IANA_SVC_NAME/,
    ],
    [
      'a bad policy type',
      { podSelector: {}, policyTypes: ['Ingres'] },
      'objects[3].spec.policyTypes[0]',
      /Unsupported value/,
    ],
    [
      'In without values',
      { podSelector: { matchExpressions: [{ key: 'pod', operator: 'In' }] } },
      'objects[3].spec.podSelector.matchExpressions[0].values',
      /must be specified/,
    ],
    [
      'Exists with values',
      { podSelector: { matchExpressions: [{ key: 'pod', operator: 'Exists', values: ['a'] }] } },
      'objects[3].spec.podSelector.matchExpressions[0].values',
      /may not be specified/,
    ],
    [
      'a bad operator',
      { podSelector: { matchExpressions: [{ key: 'pod', operator: 'Equals', values: ['a'] }] } },
      'objects[3].spec.podSelector.matchExpressions[0].operator',
      /Unsupported value/,
    ],
    ['no podSelector', { ingress: [{}] }, 'objects[3].spec.podSelector', /Required value/],
    [
      'a typo in a rule',
      { podSelector: {}, ingress: [{ form: [] }] },
      'objects[3].spec.ingress[0].form',
      /unknown field/,
    ],
    [
      'to in an ingress rule',
      { podSelector: {}, ingress: [{ to: [] }] },
      'objects[3].spec.ingress[0].to',
      /unknown field/,
    ],
  ])('%s is exit 2 naming the field', (_what, spec, field, message) => {
    const errs = errorsOf(() => resolve(base(np('bad', spec))));
    const e = errorAt(errs, field);
    expect(e.message).toMatch(message);
    expect(e.hint).toBeTruthy();
  });

  it('reports a duplicate name and a missing namespace', () => {
    const errs = errorsOf(() =>
      resolve(
        base(np('d', { podSelector: {} }), np('d', { podSelector: {} }), np('q', { podSelector: {} }, 'nowhere')),
      ),
    );
    expect(errorAt(errs, 'objects[4].metadata.name').message).toMatch(/already exists/);
    expect(errorAt(errs, 'objects[5].metadata.namespace').message).toMatch(/not found/);
  });

  it('refuses a namespace label that contradicts the name', () => {
    const errs = errorsOf(() => resolve(topo({ objects: [ns('x', { 'kubernetes.io/metadata.name': 'y' })] })));
    expect(errorAt(errs, 'objects[0].metadata.labels["kubernetes.io/metadata.name"]').message).toMatch(
      /set by the API server/,
    );
  });

  it('the schema refuses a NetworkPolicy without spec', () => {
    expect(() =>
      resolve(
        topo({
          objects: [
            { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'n' } } as KubeObject,
          ],
        }),
      ),
    ).toThrow(InputErrors);
  });
});
