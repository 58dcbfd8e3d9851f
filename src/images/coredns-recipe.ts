/**
 * The lab's own CoreDNS image, for engines that cannot pull coredns/coredns: a static binary built
 * from CoreDNS's Go module (images/coredns, release pinned in its go.mod) on an empty base. Its tag
 * is a hash of every file of the recipe, so an unchanged recipe is never rebuilt. Pure.
 */
import { createHash } from 'crypto';

export const COREDNS_LOCAL_REPO = 'k8s-netlab/coredns';

/** Recipe files relative to the project root, in hashing order. */
export const COREDNS_RECIPE_FILES = [
  'images/coredns/main.go',
  'images/coredns/go.mod',
  'images/coredns/go.sum',
  'images/coredns/Dockerfile',
  'scripts/build-coredns-image.sh',
] as const;

/** First 12 hex of sha256 over the files, each framed by path and length. */
export function coreDnsRecipeHash(files: Record<string, string>): string {
  const h = createHash('sha256');
  for (const p of COREDNS_RECIPE_FILES) {
    const text = files[p];
    if (text === undefined) throw new Error(`coreDnsRecipeHash: ${p} missing`);
    const body = Buffer.from(text, 'utf8');
    h.update(`${p}\0${body.length}\0`);
    h.update(body);
  }
  return h.digest('hex').slice(0, 12);
}

/** `k8s-netlab/coredns:<hash>` */
export function coreDnsRecipeTag(files: Record<string, string>): string {
  return `${COREDNS_LOCAL_REPO}:${coreDnsRecipeHash(files)}`;
}

/** The CoreDNS release go.mod requires (`v1.11.3`), or undefined. */
export function pinnedCoreDnsVersion(goMod: string): string | undefined {
  return /^\s*(?:require\s+)?github\.com\/coredns\/coredns\s+(v\S+)/m.exec(goMod)?.[1];
}
