import { spawnSync } from 'child_process';
import { loadTopology } from '../../src/topology/load';
import { ingressConfig, ingressSpec, renderIngressApply, INGRESS_CONF } from '../../src/plan/ingress';
import { InputErrors } from '../../src/errors';
import { GUIDE } from '../e2e/helpers';

const model = loadTopology(GUIDE, { name: 'ing-unit' });

describe('ingress container plan', () => {
  it('runs with NET_ADMIN only, network none, labelled as the ingress', () => {
    const s = ingressSpec(model, 'img');
    expect(s).toMatchObject({ name: 'k8s-netlab-ing-unit-ingress', role: 'ingress', lab: 'ing-unit' });
    expect(s.privileges.capAdd).toContain('NET_ADMIN');
    expect(s.privileges.capAdd).not.toContain('SYS_ADMIN');
    expect(s.pidHost).toBeFalsy();
  });

  it('renders the guide config: every node as upstream, status server with the config hash', () => {
    const c = ingressConfig(model);
    for (const n of model.nodes) expect(c.conf).toContain(`server ${n.ip}:30090 max_fails=2`);
    expect(c.conf).toContain('listen 80 default_server;');
    expect(c.conf).toContain(`location = /config-hash { return 200 "${c.hash}\\n"; }`);
    expect(c.statusUrl).toBe('http://127.0.0.1:10254/config-hash');
    expect(c.routes.hosts.map((h) => h.host)).toEqual(['web.example.com', '*.apps.example.com']);
  });

  it('a changed Ingress changes the hash; the same one does not', () => {
    const a = ingressConfig(model).hash;
    expect(ingressConfig(loadTopology(GUIDE, { name: 'ing-unit' })).hash).toBe(a);
    const ing = JSON.parse(JSON.stringify(model.ingresses)) as Array<{ spec: { rules: Array<{ host: string }> } }>;
    ing[0].spec.rules[0].host = 'www.example.com';
    expect(ingressConfig({ ...model, ingresses: ing }).hash).not.toBe(a);
  });

  it('refuses a model with a bad Ingress before rendering', () => {
    const bad = [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'x' },
        spec: { defaultBackend: { service: { name: 'web-sticky', port: { number: 80 } } } },
      },
    ];
    expect(() => ingressConfig({ ...model, ingresses: bad })).toThrow(InputErrors);
  });

  it('the apply script checks the config before replacing it, then starts or reloads and waits for the hash', () => {
    const c = ingressConfig(model);
    const s = renderIngressApply(c.conf, c.hash, c.statusUrl);
    const check = s.indexOf('nginx -t -q -e stderr -c');
    const mv = s.indexOf(`mv ${INGRESS_CONF}.next ${INGRESS_CONF}`);
    const reload = s.indexOf('-s reload');
    expect(check).toBeGreaterThan(0);
    expect(mv).toBeGreaterThan(check);
    expect(reload).toBeGreaterThan(mv);
    expect(s).toContain(`= ${c.hash} ]`);
    expect(s).toContain(c.conf.trim());
    // Valid shell.
    expect(spawnSync('sh', ['-n'], { input: s }).status).toBe(0);
  });
});
