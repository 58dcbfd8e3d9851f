/**
 * A container's cgroup freezer, read and thawed straight from the cgroup filesystem, not through
 * the engine: when a freeze never finished (runc's "unable to freeze" on a loaded machine, a
 * `node-freeze` interrupted half-way), the frozen tasks cannot die, and `docker unpause`,
 * `docker inspect` and `docker rm -f` were seen to hang until THAWED was written to the freezer by
 * hand. Writing it here is what that hand did; it touches only the container's own cgroup, which
 * its removal deletes. Paths: cgroup v1 (freezer.state: THAWED | FREEZING | FROZEN) and v2
 * (cgroup.freeze: 0 | 1), for the cgroupfs and systemd drivers (Linux cgroup-v1/freezer-subsystem
 * and cgroup-v2 "cgroup.freeze"; runc libcontainer/cgroups/fs/freezer.go, fs2/freezer.go).
 */
import { promises as fs } from 'fs';
import * as path from 'path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Where a container's freezer state may be, by driver and cgroup version; the first that exists is it. */
export function freezerFiles(id: string, root = CGROUP_ROOT): Array<{ file: string; v2: boolean }> {
  return [
    { file: path.join(root, 'freezer', 'docker', id, 'freezer.state'), v2: false },
    { file: path.join(root, 'freezer', 'system.slice', `docker-${id}.scope`, 'freezer.state'), v2: false },
    { file: path.join(root, 'docker', id, 'cgroup.freeze'), v2: true },
    { file: path.join(root, 'system.slice', `docker-${id}.scope`, 'cgroup.freeze'), v2: true },
  ];
}

export interface Thaw {
  /** The freezer file found, if any. */
  file?: string;
  /** What it said before: FROZEN, FREEZING, THAWED (v2: 1 → FROZEN, 0 → THAWED). */
  was?: string;
  /** THAWED was written (the container was frozen or freezing). */
  thawed: boolean;
  /** Why it could not be read or written (no such cgroup, not root…). */
  error?: string;
}

/** Thaws the container's freezer if it is frozen or freezing; never throws. */
export async function thawContainer(id: string, root = CGROUP_ROOT): Promise<Thaw> {
  for (const { file, v2 } of freezerFiles(id, root)) {
    let raw: string;
    try {
      raw = (await fs.readFile(file, 'utf8')).trim();
    } catch {
      continue;
    }
    const was = v2 ? (raw === '1' ? 'FROZEN' : 'THAWED') : raw;
    if (was === 'THAWED') return { file, was, thawed: false };
    try {
      await fs.writeFile(file, v2 ? '0' : 'THAWED');
      return { file, was, thawed: true };
    } catch (err) {
      return { file, was, thawed: false, error: (err as Error).message };
    }
  }
  return { thawed: false, error: `no freezer cgroup found for ${id.slice(0, 12)} under ${root}` };
}
