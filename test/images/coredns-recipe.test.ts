import { readFileSync } from 'fs';
import * as path from 'path';
import {
  COREDNS_RECIPE_FILES,
  coreDnsRecipeHash,
  coreDnsRecipeTag,
  pinnedCoreDnsVersion,
} from '../../src/images/coredns-recipe';
import { projectRoot } from '../../src/runtime/images';
import { COREDNS_IMAGE } from '../../src/topology/dns-server';

const read = (p: string) => readFileSync(path.join(projectRoot(), p), 'utf8');
const files = Object.fromEntries(COREDNS_RECIPE_FILES.map((p) => [p, read(p)]));

describe('CoreDNS image recipe', () => {
  it('tags k8s-netlab/coredns:<12 hex>, stable for an unchanged recipe', () => {
    expect(coreDnsRecipeTag(files)).toMatch(/^k8s-netlab\/coredns:[0-9a-f]{12}$/);
    expect(coreDnsRecipeTag({ ...files })).toBe(coreDnsRecipeTag(files));
  });
  it.each(COREDNS_RECIPE_FILES)('a change to %s is a new tag', (p) => {
    expect(coreDnsRecipeHash({ ...files, [p]: files[p] + '\n' })).not.toBe(coreDnsRecipeHash(files));
  });
  it('a missing file is an error, not a hash of less', () => {
    const { ['images/coredns/go.sum']: _gone, ...rest } = files;
    expect(() => coreDnsRecipeHash(rest)).toThrow(/go.sum missing/);
  });
  it('builds the same CoreDNS release the coredns/coredns image is tagged with', () => {
    expect(pinnedCoreDnsVersion(files['images/coredns/go.mod'])).toBe(`v${COREDNS_IMAGE.split(':')[1]}`);
    expect(pinnedCoreDnsVersion('module x\n')).toBeUndefined();
  });
  it("registers exactly the plugins the Corefile uses, in CoreDNS's plugin.cfg order", () => {
    const main = files['images/coredns/main.go'];
    const imported = [...main.matchAll(/_ "github\.com\/coredns\/coredns\/plugin\/(\w+)"/g)].map((m) => m[1]).sort();
    const directives = [.../var directives = \[\]string\{([^}]*)\}/.exec(main)![1].matchAll(/"(\w+)"/g)].map(
      (m) => m[1],
    );
    expect([...directives].sort()).toEqual(imported);
    // plugin.cfg order (CoreDNS v1.11.3) of these plugins.
    expect(directives).toEqual([
      'reload',
      'ready',
      'health',
      'errors',
      'log',
      'loadbalance',
      'cache',
      'template',
      'file',
      'loop',
      'forward',
    ]);
  });
  it('go.sum pins every module go.mod names', () => {
    for (const m of files['images/coredns/go.mod'].matchAll(/^\s+(\S+) (v\S+)/gm))
      expect(files['images/coredns/go.sum']).toContain(`${m[1]} ${m[2]}/go.mod`);
  });
});
