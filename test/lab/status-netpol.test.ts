import { renderStatus, selectorText, StatusReport } from '../../src/lab/status';

describe('lab status lists NetworkPolicies', () => {
  it('prints selectors as kubectl does', () => {
    expect(selectorText({})).toBe('<none>');
    expect(
      selectorText({
        matchLabels: { pod: 'a' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['web', 'db'] },
          { key: 'x', operator: 'DoesNotExist' },
          { key: 'y', operator: 'Exists' },
        ],
      }),
    ).toBe('pod=a,tier in (web,db),!x,y');
  });
  it('adds a table of policies only when there are some', () => {
    const base: StatusReport = {
      lab: 'l',
      proxy: 'iptables',
      cni: 'vpc-routes',
      containers: [],
      nodes: [],
      pods: [],
      links: [],
      services: [],
    };
    expect(renderStatus(base)).not.toMatch(/NETWORKPOLICY/);
    const out = renderStatus({
      ...base,
      networkPolicies: [
        { name: 'default-deny-ingress', namespace: 'x', podSelector: '<none>', policyTypes: ['Ingress'] },
      ],
    });
    expect(out).toMatch(
      /NETWORKPOLICY\s+NAMESPACE\s+POD-SELECTOR\s+POLICY-TYPES\ndefault-deny-ingress\s+x\s+<none>\s+Ingress/,
    );
  });
});
