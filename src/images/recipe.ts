/** The lab image's tag is a hash of its recipe, so a changed recipe gets a new tag and an unchanged one is never rebuilt. */
import { createHash } from 'crypto';

/** Bump to force a new tag when something outside the recipe files changes how the image is built. */
export const RECIPE_VERSION = '1';

export const IMAGE_REPO = 'k8s-netlab/node';

/** The inputs that define the image, as text. */
export interface RecipeInputs {
  dockerfile: string;
  debootstrapScript: string;
  packageList: string;
  /** The pod test server's source (C). */
  netexec: string;
  /** How it is compiled (the binary copied into the image is built from these two). */
  netexecBuild: string;
  version?: string;
}

/** First 12 hex of sha256 over every input, each framed by name and length so inputs can't run into each other. */
export function recipeHash(r: RecipeInputs): string {
  const h = createHash('sha256');
  const parts: Array<[string, string]> = [
    ['version', r.version ?? RECIPE_VERSION],
    ['dockerfile', r.dockerfile],
    ['debootstrap', r.debootstrapScript],
    ['packages', r.packageList],
    ['netexec', r.netexec],
    ['netexec-build', r.netexecBuild],
  ];
  for (const [name, text] of parts) {
    const body = Buffer.from(text, 'utf8');
    h.update(`${name}\0${body.length}\0`);
    h.update(body);
  }
  return h.digest('hex').slice(0, 12);
}

/** `k8s-netlab/node:<hash>` */
export function recipeTag(r: RecipeInputs): string {
  return `${IMAGE_REPO}:${recipeHash(r)}`;
}

/** Recipe file paths relative to the project root. */
export const RECIPE_FILES = {
  dockerfile: 'images/node/Dockerfile',
  debootstrapScript: 'scripts/build-image-debootstrap.sh',
  packageList: 'images/node/packages.debian',
  netexec: 'images/netexec/netexec.c',
  netexecBuild: 'images/netexec/build.sh',
} as const;
