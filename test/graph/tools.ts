/**
 * Host tools the graph tests render with: Graphviz `dot` and Debian's Chromium (both installed by
 * scripts/setup-test-host.sh). Outside CI a missing tool skips its tests; with CI=true it fails them.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function hasDot(): boolean {
  try {
    execFileSync('dot', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const hasChromium = (): boolean => fs.existsSync(CHROMIUM);

/** `it` when the tool is there or in CI (where its absence must fail); `it.skip` otherwise. */
export function itWith(present: boolean): jest.It {
  return present || process.env.CI === 'true' ? it : it.skip;
}
