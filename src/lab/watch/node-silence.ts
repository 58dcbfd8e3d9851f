/**
 * A node that stops answering while the loop waits on it: the loop gives up on it (and goes on
 * with the others) instead of hanging on a frozen exec or failing on a stopped container.
 */
import type { LabModel } from '../../model/types';
import { listLabContainers } from '../../runtime/containers';

/** The model without the given nodes and their pods (the nodes that do not answer). */
export function withoutNodes(model: LabModel, silent: Set<string>): LabModel {
  return silent.size
    ? {
        ...model,
        nodes: model.nodes.filter((n) => !silent.has(n.name)),
        pods: model.pods.filter((p) => !silent.has(p.node)),
      }
    : model;
}

/** The engine's answer to an exec into a stopped or paused container (HTTP 409). */
export function isStoppedContainerError(err: unknown): boolean {
  return (
    (err as { statusCode?: number }).statusCode === 409 ||
    /\(HTTP code 409\)|is not running|is paused/.test(String((err as Error)?.message))
  );
}

export class NodesSilent extends Error {
  constructor(readonly nodes: string[]) {
    super(`${nodes.join(', ')} stopped answering`);
  }
}

/**
 * `p`, unless a node stops running while it is pending: an exec into a node that is frozen
 * mid-call does not return until the node thaws, and the node controller must not wait on it.
 * Checked every second with the engine; the abandoned call settles later, ignored.
 */
export async function unlessNodeDies<T>(
  p: Promise<T>,
  lab: string,
  nodes: Array<{ name: string; container: string }>,
): Promise<T> {
  p.catch(() => undefined);
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<'tick'>((r) => (timer = setTimeout(() => r('tick'), 1000)));
    const r = await Promise.race([p.then((v) => ({ v })), tick]);
    clearTimeout(timer);
    if (r !== 'tick') return r.v;
    const engine = new Map((await listLabContainers(lab)).map((c) => [c.name, c.state]));
    const gone = nodes.filter((n) => engine.get(n.container) !== 'running');
    if (gone.length) throw new NodesSilent(gone.map((n) => `${n.name} (${engine.get(n.container) ?? 'missing'})`));
  }
}
