/** Removes every container whose lab label equals the lab's name (all labs only with --all); nothing there is fine. */
import { listLabContainers, removeContainers } from '../runtime/containers';
import { LabError } from '../errors';

export async function downLab(lab: string): Promise<number> {
  if (!lab) throw new LabError('internal: downLab needs a lab name (an empty name would match every lab)');
  // The engine's label filter is an exact match already; the check guards against any change there.
  const cs = (await listLabContainers(lab)).filter((c) => c.lab === lab);
  await removeContainers(cs.map((c) => c.id));
  return cs.length;
}

/** `lab down --all`: every container carrying the lab label, whoever started it. */
export async function downAllLabs(): Promise<number> {
  const cs = await listLabContainers();
  await removeContainers(cs.map((c) => c.id));
  return cs.length;
}
