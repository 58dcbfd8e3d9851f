/**
 * Every lab an e2e file creates is named through `labName`, so K8S_NETLAB_E2E_PREFIX keeps
 * parallel runs on one engine apart (a stray unprefixed lab is another checkout's to collide with).
 * Read from the sources: no lab is started.
 */
import * as fs from 'fs';
import * as path from 'path';

const DIR = __dirname;
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.test.ts') && f !== path.basename(__filename));

/** The places in `src` where a lab name is a literal instead of going through labName. */
function unprefixedNames(src: string): string[] {
  const found: string[] = [];
  // `--name` followed by a quoted literal.
  for (const m of src.matchAll(/'--name',\s*'([^']+)'/g)) found.push(`--name '${m[1]}'`);
  // labContainers('literal'): the containers of a lab named without the prefix.
  for (const m of src.matchAll(/labContainers\('([^']+)'\)/g)) found.push(`labContainers('${m[1]}')`);
  // A topology written by the test whose first line names the lab literally (lab up -t takes its name).
  for (const m of src.matchAll(/(?:^|['`"]|\\n)name: ([a-z][\w-]*)\s*(?:\\n|\n)(?:nodes|cluster|vpc)/gm))
    found.push(`name: ${m[1]}`);
  return found;
}

describe('e2e lab names', () => {
  it('the check sees a literal lab name, and accepts one built by labName', () => {
    expect(unprefixedNames(`lab(['up', '--name', 'faults-edge'])`)).toEqual([`--name 'faults-edge'`]);
    expect(unprefixedNames(`labContainers('dns-bad')`)).toEqual([`labContainers('dns-bad')`]);
    expect(unprefixedNames('writeFileSync(f, `name: dns-bad\\nnodes: [{name: node1}]`)')).toEqual(['name: dns-bad']);
    expect(unprefixedNames('const TOPO = `name: minimal\nnodes:\n  - name: node1`')).toEqual(['name: minimal']);
    expect(unprefixedNames(`const name = labName('faults-edge'); lab(['up', '--name', name])`)).toEqual([]);
    expect(unprefixedNames('writeFileSync(f, `name: ${bad}\\nnodes: [{name: node1}]`)')).toEqual([]);
  });

  it.each(files)('%s names its labs through labName (K8S_NETLAB_E2E_PREFIX)', (f) => {
    const src = fs.readFileSync(path.join(DIR, f), 'utf8');
    // A topology whose own name is literal is fine when every `lab up` of it passes --name.
    const literalTopology = unprefixedNames(src).filter((x) => x.startsWith('name: '));
    const ups = [...src.matchAll(/\['up',[^\]]*\]/g)].map((m) => m[0]);
    const upsWithoutName = ups.filter((u) => !u.includes("'--name'") && !/topo\(name/.test(u));
    const bad = unprefixedNames(src).filter((x) => !x.startsWith('name: '));
    if (upsWithoutName.length > 0) bad.push(...literalTopology);
    expect(bad).toEqual([]);
    if (ups.length > 0) expect(src).toMatch(/\blabName\(/);
  });
});
