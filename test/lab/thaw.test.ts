import { thawBounded, thawNode, ThawDeps, UNPAUSE_TIMEOUT_MS } from '../../src/lab/thaw';
import { EngineError } from '../../src/errors';
import type { UnpauseResult } from '../../src/runtime/containers';

const FILE = '/sys/fs/cgroup/freezer/docker/abc/freezer.state';

/** A fake engine and cgroup: the freezer as given, `docker unpause` answering `answer` (or never); calls in order. */
function fake(answer: UnpauseResult | 'never', was = 'FROZEN') {
  const calls: string[] = [];
  const deps: ThawDeps = {
    thawCgroup: async (id) => {
      calls.push(`cgroup ${id}`);
      return { file: FILE, was, thawed: was !== 'THAWED' };
    },
    unpause: (id, timeoutMs) => {
      calls.push(`unpause ${id} ${timeoutMs}`);
      return answer === 'never' ? new Promise<UnpauseResult>(() => undefined) : Promise.resolve(answer);
    },
  };
  return { deps, calls };
}

const paused = { id: 'abc', name: 'k8s-netlab-x-node2', state: 'paused' };
const failed = (error: string, timedOut = false): UnpauseResult => ({ ok: false, notPaused: false, timedOut, error });

describe('clearing node-freeze: the node thawed, bounded', () => {
  it('the engine unpauses it, within the bound; its freezer is left to the engine', async () => {
    const f = fake({ ok: true });
    expect(await thawNode('node2', paused, 'x', f.deps)).toBeUndefined();
    expect(f.calls).toEqual([`unpause abc ${UNPAUSE_TIMEOUT_MS}`]);
    expect(UNPAUSE_TIMEOUT_MS).toBe(3000);
  });

  it('an engine that never answers: given up after the bound, the freezer thawed, an error naming the node and the fix', async () => {
    const f = fake('never');
    const t0 = Date.now();
    const err = await thawNode('node2', paused, 'x', f.deps, 50).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(f.calls).toEqual(['unpause abc 50', 'cgroup abc']);
    expect(err).toBeInstanceOf(EngineError);
    const e = err as EngineError;
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe(
      `node node2 (k8s-netlab-x-node2) could not be thawed: docker unpause did not answer within 50 ms; its freezer cgroup ${FILE} was FROZEN, written THAWED (its processes run, but the engine still counts it paused)`,
    );
    expect(e.hint).toBe(
      'the fault stays listed; rebuild the lab: lab down --name x && lab up --name x (lab down thaws and removes it whatever the engine says)',
    );
  });

  it('an unpause the engine aborted at its timeout, or refused (runc: "container not paused"): an error, not a cleared fault', async () => {
    const late = fake(failed('The operation was aborted', true));
    await expect(thawNode('node2', paused, 'x', late.deps)).rejects.toThrow(/did not answer within 3000 ms/);
    // The engine's record says paused while runc finds the cgroup thawed (written behind its back): not thawed.
    const refused = fake(failed('(HTTP code 500) server error - OCI runtime resume failed: container not paused'));
    await expect(thawNode('node2', paused, 'x', refused.deps)).rejects.toThrow(
      /could not be thawed: docker unpause failed: \(HTTP code 500\) .*container not paused/,
    );
  });

  it('a node already unpaused in the engine (409), or not paused at all: nothing to do, no error', async () => {
    const byHand = fake({ ok: false, notPaused: true, timedOut: false, error: 'Container abc is not paused' });
    expect(await thawNode('node2', paused, 'x', byHand.deps)).toBeUndefined();
    const running = fake('never', 'THAWED');
    expect(await thawNode('node2', { ...paused, state: 'running' }, 'x', running.deps)).toBeUndefined();
    // The engine is not asked about a container it does not count paused.
    expect(running.calls).toEqual(['cgroup abc']);
    // One whose freeze never finished (engine: running, freezer FREEZING): thawed from the cgroup, said.
    const half = fake('never', 'FREEZING');
    expect(await thawNode('node2', { ...paused, state: 'running' }, 'x', half.deps)).toBe(
      'node node2 was not paused but its freezer cgroup was FREEZING: written THAWED',
    );
  });

  it('a node whose container is gone: a note, nothing asked of the engine', async () => {
    const f = fake('never');
    expect(await thawNode('node2', undefined, 'x', f.deps)).toMatch(/container is gone: nothing to thaw/);
    expect(f.calls).toEqual([]);
  });
});

describe('lab down: thawed before removal, bounded', () => {
  it('the freezer first, then the engine; an engine that never answers is given up and said', async () => {
    const f = fake('never', 'FREEZING');
    expect(await thawBounded(paused, f.deps, 20)).toEqual({
      cgroup: { file: FILE, was: 'FREEZING', thawed: true },
      unpaused: false,
      error: 'docker unpause did not answer within 20 ms',
    });
    expect(f.calls).toEqual(['cgroup abc', 'unpause abc 20']);
  });

  it('runc\'s "container not paused" after the freezer was thawed is expected there: no error', async () => {
    const f = fake(failed('OCI runtime resume failed: container not paused: unknown'));
    expect((await thawBounded(paused, f.deps)).error).toBeUndefined();
    expect((await thawBounded(paused, fake(failed('server error')).deps)).error).toBe(
      'docker unpause failed: server error',
    );
  });
});
