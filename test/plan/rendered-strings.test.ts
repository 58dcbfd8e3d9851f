/**
 * Strings from a topology that reach a rendered config or script are validated for that target:
 * resolv.conf option tokens, nginx hosts and paths; the loader stops with exit 2, the field and
 * the fix, before anything is created (lab up loads the topology before it talks to the engine).
 */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { podDnsProblems } from '../../src/topology/dns-validate';
import { hostProblem, pathProblem } from '../../src/ingress/parse';
import { loadTopology } from '../../src/topology/load';
import { InputError } from '../../src/errors';
import { errorsOf } from '../topology/helpers';

describe('resolv.conf options', () => {
  it('a newline in dnsConfig.options[].value (a smuggled nameserver line) is refused, naming the field', () => {
    const p = podDnsProblems({ dnsConfig: { options: [{ name: 'ndots', value: '2\nnameserver 6.6.6.6' }] } });
    expect(p.map((x) => x.field)).toEqual(['spec.dnsConfig.options[0].value']);
    expect(p[0].hint).toBeTruthy();
  });
  it('whitespace, control characters or ":" in the name are refused; ordinary options pass', () => {
    expect(podDnsProblems({ dnsConfig: { options: [{ name: 'ndots\nnameserver 6.6.6.6' }] } })[0].field).toBe(
      'spec.dnsConfig.options[0].name',
    );
    expect(
      podDnsProblems({ dnsConfig: { options: [{ name: 'a b' }, { name: 'x:y' }, { name: 'edns0\t' }] } }),
    ).toHaveLength(3);
    expect(
      podDnsProblems({
        dnsConfig: { options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }, { name: 'timeout', value: '1' }] },
      }),
    ).toEqual([]);
  });
  it('from a topology file: exit 2 with the field path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strings-'));
    writeFileSync(
      join(dir, 'lab.yaml'),
      `name: t
nodes: [{name: node1}]
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      containers: [{name: c, image: registry.k8s.io/e2e-test-images/agnhost:2.47, args: [netexec]}]
      dnsConfig:
        options: [{name: ndots, value: "2\\nnameserver 6.6.6.6"}]
`,
    );
    const errs = errorsOf(() => loadTopology(join(dir, 'lab.yaml')));
    const e = errs.find((x) => /dnsConfig\.options\[0\]\.value/.test(x.message));
    expect(e).toBeInstanceOf(InputError);
    expect(e!.exitCode).toBe(2);
  });
});

describe('nginx hosts and paths', () => {
  it('refuses what would end a directive or a block, or start a new line', () => {
    for (const p of ['/a;return 200', '/a"b', '/a b', '/a\nlocation', '/a{', '/a}', '/a\\b'])
      expect(pathProblem(p)).toMatch(/holds characters|must not/);
    for (const h of ['a.com;', 'a.com\nserver_name x', 'a com', 'a"b.com', 'a{.com'])
      expect(hostProblem(h)).toBeDefined();
    expect(pathProblem('/api/v1')).toBeUndefined();
    expect(hostProblem('web.example.com')).toBeUndefined();
  });
});
