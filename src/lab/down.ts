/** Removes every container carrying the lab's label (all labs with --all); nothing there is fine. */
import { listLabContainers, removeContainers } from '../runtime/containers';

export async function downLab(lab: string | undefined): Promise<number> {
  const cs = await listLabContainers(lab);
  await removeContainers(cs.map((c) => c.id));
  return cs.length;
}
