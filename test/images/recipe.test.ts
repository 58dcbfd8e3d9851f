import { readFileSync } from 'fs';
import * as path from 'path';
import { recipeHash, recipeTag, RECIPE_FILES, RecipeInputs, IMAGE_REPO } from '../../src/images/recipe';
import { imageTag, projectRoot, pickBuilder } from '../../src/runtime/images';

const base: RecipeInputs = {
  dockerfile: 'FROM alpine:3.20\n',
  debootstrapScript: '#!/bin/sh\ndebootstrap\n',
  packageList: 'iproute2\n',
  netexec: 'int main(void) { return 0; }\n',
  netexecBuild: 'cc -static netexec.c\n',
};

describe('recipe tag', () => {
  test('is k8s-netlab/node:<12 hex> and stable for an unchanged recipe', () => {
    const t = recipeTag(base);
    expect(t).toMatch(/^k8s-netlab\/node:[0-9a-f]{12}$/);
    expect(t.startsWith(`${IMAGE_REPO}:`)).toBe(true);
    expect(recipeTag({ ...base })).toBe(t);
  });

  test.each(['dockerfile', 'debootstrapScript', 'packageList', 'netexec', 'netexecBuild'] as const)(
    'changes when %s changes',
    (k) => {
      expect(recipeHash({ ...base, [k]: base[k] + ' ' })).not.toBe(recipeHash(base));
    },
  );

  test('changes with the recipe version', () => {
    expect(recipeHash({ ...base, version: 'other' })).not.toBe(recipeHash(base));
  });

  test('inputs cannot run into each other (moving text between fields changes the hash)', () => {
    const moved = { ...base, dockerfile: base.dockerfile + 'x', debootstrapScript: base.debootstrapScript.slice(0) };
    const moved2 = { ...base, debootstrapScript: 'x' + base.debootstrapScript };
    expect(recipeHash(moved)).not.toBe(recipeHash(moved2));
  });

  test('imageTag() hashes the real recipe files found from the project root', () => {
    const root = projectRoot();
    expect(root).toBe(path.resolve(__dirname, '../..'));
    const read = (p: string) => readFileSync(path.join(root, p), 'utf8');
    const expected = recipeTag({
      dockerfile: read(RECIPE_FILES.dockerfile),
      debootstrapScript: read(RECIPE_FILES.debootstrapScript),
      packageList: read(RECIPE_FILES.packageList),
      netexec: read(RECIPE_FILES.netexec),
      netexecBuild: read(RECIPE_FILES.netexecBuild),
    });
    expect(imageTag()).toBe(expected);
  });
});

describe('pickBuilder', () => {
  test('explicit option wins, then env, then auto', () => {
    expect(pickBuilder('dockerfile', 'debootstrap')).toBe('dockerfile');
    expect(pickBuilder(undefined, 'debootstrap')).toBe('debootstrap');
    expect(pickBuilder('auto', 'debootstrap')).toBe('debootstrap');
    expect(pickBuilder(undefined, undefined)).toBe('auto');
    expect(pickBuilder(undefined, '')).toBe('auto');
  });
  test('rejects an unknown env value', () => {
    expect(() => pickBuilder(undefined, 'kaniko')).toThrow(/K8S_NETLAB_IMAGE_BUILDER=kaniko/);
  });
});
