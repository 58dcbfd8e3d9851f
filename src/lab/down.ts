/** Removes every container whose lab label equals the lab's name (all labs only with --all); nothing there is fine. */
import { listLabContainers, ListedContainer, removeContainers } from '../runtime/containers';
import { freezerFiles } from '../runtime/freezer';
import { thawBounded } from './thaw';
import { LabError } from '../errors';

/** Each removal is given up after this (it took < 1 s when it works); a paused node's unpause after UNPAUSE_TIMEOUT_MS. */
const REMOVE_TIMEOUT_MS = 10_000;

export async function downLab(lab: string, log: (m: string) => void = () => undefined): Promise<number> {
  if (!lab) throw new LabError('internal: downLab needs a lab name (an empty name would match every lab)');
  // The engine's label filter is an exact match already; the check guards against any change there.
  const cs = (await listLabContainers(lab)).filter((c) => c.lab === lab);
  await thawAll(cs, log);
  await removeWithin(cs);
  return cs.length;
}

/** `lab down --all`: every container carrying the lab label, whoever started it. */
export async function downAllLabs(log: (m: string) => void = () => undefined): Promise<number> {
  const cs = await listLabContainers();
  await thawAll(cs, log);
  await removeWithin(cs);
  return cs.length;
}

/**
 * A frozen container's tasks cannot die until thawed: a `node-freeze` (docker pause) or a freeze
 * the engine never finished would make removal hang. Thaw every freezer first, from the cgroup
 * filesystem (the engine itself was seen hanging on such a container), then unpause what the
 * engine still counts paused, given up after a timeout.
 */
async function thawAll(cs: ListedContainer[], log: (m: string) => void): Promise<void> {
  await Promise.all(
    cs.map(async (c) => {
      const t = await thawBounded(c);
      if (t.cgroup.thawed) log(`thawed ${c.name} (its freezer cgroup was ${t.cgroup.was})`);
      if (t.error) log(`${c.name}: ${t.error}; removing it anyway`);
    }),
  );
}

async function removeWithin(cs: ListedContainer[]): Promise<void> {
  const late = await removeContainers(
    cs.map((c) => c.id),
    { timeoutMs: REMOVE_TIMEOUT_MS },
  );
  if (!late.length) return;
  const names = cs.filter((c) => late.includes(c.id)).map((c) => c.name);
  const files = late.map((id) => freezerFiles(id)[0].file);
  throw new LabError(`the engine did not remove ${names.join(', ')} within ${REMOVE_TIMEOUT_MS / 1000} s`, {
    hint: `if frozen, thaw it (echo THAWED > ${files.join(' and ')}) and run lab down again`,
  });
}
