/**
 * Tests that need a host tool (tshark, tcpdump, nginx, knot/unbound, a kernel feature): they skip
 * where it is missing, saying so, except when CI is set: there `.ci/run` has installed the tools,
 * so a missing one is a broken install step and fails instead of hiding behind a skip.
 */

/** `describe` when nothing is missing; else a visible skip, or in CI one failing test naming what is missing. */
export function describeWithTools(missing: string | undefined, what: string): jest.Describe {
  if (!missing) return describe;
  if (process.env.CI) {
    describe(`${what}: its tools`, () => {
      it(`are installed (CI is set): ${missing}`, () => {
        throw new Error(
          `${what}: ${missing}; CI installs it (scripts/setup-test-host.sh), so a missing tool fails here instead of skipping`,
        );
      });
    });
  } else console.warn(`${what} skipped: ${missing} (with CI set this fails)`);
  return describe.skip;
}

/** The same for a single test. */
export function itWithTools(missing: string | undefined, what: string): jest.It {
  if (!missing) return it;
  if (process.env.CI) {
    it(`${what}: its tools are installed (CI is set): ${missing}`, () => {
      throw new Error(
        `${what}: ${missing}; CI installs it (scripts/setup-test-host.sh), so a missing tool fails here instead of skipping`,
      );
    });
  } else console.warn(`${what} skipped: ${missing} (with CI set this fails)`);
  return it.skip;
}
