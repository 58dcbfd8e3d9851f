/**
 * Thawing a frozen container, bounded: its freezer cgroup written THAWED straight from the cgroup
 * filesystem (src/runtime/freezer.ts: the engine was seen hanging on a container whose freeze never
 * finished), then `docker unpause` for the engine's own record, given up after a timeout. `lab down`
 * thaws every container this way before removing it; clearing a `node-freeze` fault thaws its node
 * this way and says so, with the fix, when the node cannot be thawed (no hang on `docker unpause`).
 */
import type { ListedContainer, UnpauseResult } from '../runtime/containers';
import { unpauseWithin } from '../runtime/containers';
import { Thaw, thawContainer } from '../runtime/freezer';
import { EngineError } from '../errors';

/** A paused container's `docker unpause` is given up after this (it takes well under 1 s when it works). */
export const UNPAUSE_TIMEOUT_MS = 3000;

export interface ThawDeps {
  thawCgroup: (id: string) => Promise<Thaw>;
  unpause: (id: string, timeoutMs: number) => Promise<UnpauseResult>;
}

const realDeps: ThawDeps = { thawCgroup: (id) => thawContainer(id), unpause: unpauseWithin };

export interface ThawOutcome {
  /** What the freezer cgroup said and whether THAWED was written. */
  cgroup: Thaw;
  /** The engine counted it paused and unpaused it. */
  unpaused: boolean;
  /** Why the engine did not unpause a container it counts paused (timed out, refused). */
  error?: string;
}

/** `docker unpause`, bounded here too, so an unpause that ignores its abort signal cannot hold the caller. */
async function unpauseBounded(id: string, deps: ThawDeps, timeoutMs: number): Promise<UnpauseResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<UnpauseResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, notPaused: false, timedOut: true, error: 'no answer' }),
      timeoutMs + 100,
    );
  });
  return Promise.race([
    deps
      .unpause(id, timeoutMs)
      .catch((err: Error): UnpauseResult => ({ ok: false, notPaused: false, timedOut: false, error: err.message })),
    late,
  ]).finally(() => clearTimeout(timer));
}

const unpauseError = (u: Exclude<UnpauseResult, { ok: true }>, timeoutMs: number) =>
  u.timedOut ? `docker unpause did not answer within ${timeoutMs} ms` : `docker unpause failed: ${u.error}`;

/**
 * `lab down`: the freezer cgroup first (a freeze that never finished hangs the engine), then the
 * engine's unpause, bounded; never throws. runc then finds the cgroup thawed ("container not
 * paused"): expected here, the container is removed next.
 */
export async function thawBounded(
  c: Pick<ListedContainer, 'id' | 'state'>,
  deps: ThawDeps = realDeps,
  timeoutMs = UNPAUSE_TIMEOUT_MS,
): Promise<ThawOutcome> {
  const cgroup = await deps.thawCgroup(c.id).catch((err: Error) => ({ thawed: false, error: err.message }));
  if (c.state !== 'paused') return { cgroup, unpaused: false };
  const u = await unpauseBounded(c.id, deps, timeoutMs);
  if (u.ok) return { cgroup, unpaused: true };
  if (u.notPaused || /container not paused/.test(u.error)) return { cgroup, unpaused: false };
  return { cgroup, unpaused: false, error: unpauseError(u, timeoutMs) };
}

/**
 * Clearing `node-freeze`: the node thawed, bounded. The engine first when it counts the node
 * paused (a cgroup thawed behind its back makes runc's resume fail with "container not paused" and
 * the engine keeps calling it paused: seen); the freezer cgroup straight when the engine does not
 * (a freeze that never finished), or as the last resort when the engine does not answer. Throws an
 * EngineError naming the node, what was seen and the fix when the engine did not unpause it (the
 * fault then stays active); returns a note of what else was done.
 */
export async function thawNode(
  node: string,
  c: Pick<ListedContainer, 'id' | 'name' | 'state'> | undefined,
  lab: string,
  deps: ThawDeps = realDeps,
  timeoutMs = UNPAUSE_TIMEOUT_MS,
): Promise<string | undefined> {
  if (!c) return `node ${node}'s container is gone: nothing to thaw (lab up rebuilds the lab)`;
  if (c.state !== 'paused') {
    const t = await deps.thawCgroup(c.id).catch((err: Error): Thaw => ({ thawed: false, error: err.message }));
    return t.thawed ? `node ${node} was not paused but its freezer cgroup was ${t.was}: written THAWED` : undefined;
  }
  const u = await unpauseBounded(c.id, deps, timeoutMs);
  if (u.ok || u.notPaused) return undefined;
  // Its processes must at least run again (and die when the lab is removed): the freezer, by hand.
  const t = await deps.thawCgroup(c.id).catch((err: Error): Thaw => ({ thawed: false, error: err.message }));
  const cg = t.file
    ? `its freezer cgroup ${t.file} was ${t.was}${t.thawed ? ', written THAWED (its processes run, but the engine still counts it paused)' : t.error ? ` and could not be written: ${t.error}` : ''}`
    : `its freezer cgroup was not found (${t.error ?? 'unknown'})`;
  throw new EngineError(`node ${node} (${c.name}) could not be thawed: ${unpauseError(u, timeoutMs)}; ${cg}`, {
    hint: `the fault stays listed; rebuild the lab: lab down --name ${lab} && lab up --name ${lab} (lab down thaws and removes it whatever the engine says)`,
  });
}
