/** Where the project's files live at run time: images/ (the programs run in containers, the image recipe) and scripts/. */
import { existsSync } from 'fs';
import * as path from 'path';
import { LabError } from '../errors';
import { RECIPE_FILES } from './recipe';

let rootCache: string | undefined;

/**
 * The project root (holds images/ and scripts/). Found by walking up from this file, so it
 * works from dist/images/root.js and from src/images/root.ts under ts-jest alike.
 */
export function projectRoot(): string {
  if (rootCache) return rootCache;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (
      existsSync(path.join(dir, RECIPE_FILES.debootstrapScript)) &&
      existsSync(path.join(dir, RECIPE_FILES.netexec))
    ) {
      rootCache = dir;
      return dir;
    }
    dir = path.dirname(dir);
  }
  throw new LabError(`cannot find the project's images/ and scripts/ above ${__dirname}`, {
    hint: 'run lab from its installed package (images/ and scripts/ ship next to dist/)',
  });
}
