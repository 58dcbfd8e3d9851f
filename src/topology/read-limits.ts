/**
 * Hard limits on what a topology load reads, so a bad or hostile file cannot hang the CLI, fill
 * its memory or leak another file's content:
 * - only regular files (a FIFO would block forever, /dev/zero never ends, a directory is no file);
 * - manifests within the topology file's directory tree (symlinks resolved) unless --allow-outside;
 * - at most MAX_FILE_BYTES per file and MAX_TOTAL_BYTES per load (4 MiB is ~50 times the largest
 *   manifest a lab needs; YAML parsing is linear, so this also bounds the load's time and memory);
 * - at most MAX_DOCUMENTS documents per file, and YAML aliases expanded at most MAX_ALIAS_COUNT
 *   times per document (the `yaml` library's maxAliasCount; an alias bomb is an error, not a hang);
 * - errors name the path and the field, never the file's content.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync, constants } from 'fs';
import * as path from 'path';
import { InputError } from '../errors';

export const MAX_FILE_BYTES = 4 * 1024 * 1024;
export const MAX_TOTAL_BYTES = 16 * 1024 * 1024;
export const MAX_DOCUMENTS = 1000;
export const MAX_ALIAS_COUNT = 100;

export interface ReadPolicy {
  /** Directory tree the file must lie in (resolved through symlinks); undefined: anywhere. */
  within?: string;
  /** Bytes already read in this load (shared by every file of one load). */
  budget: { used: number };
}

export function newPolicy(within?: string): ReadPolicy {
  return { within, budget: { used: 0 } };
}

function fail(message: string, field: string | undefined, hint: string, cause?: unknown): InputError {
  return new InputError(message, { field, hint, cause });
}

function kindOf(st: import('fs').Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Reads a topology or manifest file within the limits; an InputError (path and field only) otherwise. */
export function readBounded(file: string, field: string | undefined, policy: ReadPolicy): string | InputError {
  let real: string;
  try {
    real = realpathSync(file);
    const st = statSync(real);
    if (!st.isFile()) return fail(`${file} is ${kindOf(st)}, not a regular file`, field, 'point it at a YAML file');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    return fail(
      `cannot read ${file}${code ? ` (${code})` : ''}`,
      field,
      'check the path (manifest paths are relative to the topology file)',
      cause,
    );
  }
  if (policy.within !== undefined) {
    let root: string;
    try {
      root = realpathSync(policy.within);
    } catch {
      root = path.resolve(policy.within);
    }
    const rel = path.relative(root, real);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel))
      return fail(
        `${file} is outside the topology file's directory ${root}`,
        field,
        'move the manifest next to the topology file, or pass --allow-outside if you trust it',
      );
  }
  let fd: number | undefined;
  try {
    // O_NONBLOCK: should the file be swapped for a FIFO after the check, the open does not hang.
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    if (!fstatSync(fd).isFile()) return fail(`${file} is not a regular file`, field, 'point it at a YAML file');
    const room = Math.min(MAX_FILE_BYTES, MAX_TOTAL_BYTES - policy.budget.used);
    const buf = Buffer.alloc(room + 1);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > room) {
      return room < MAX_FILE_BYTES
        ? fail(
            `${file}: the files of this topology exceed ${MAX_TOTAL_BYTES / 1048576} MiB together`,
            field,
            'split the lab, or remove objects it does not need',
          )
        : fail(
            `${file} is larger than ${MAX_FILE_BYTES / 1048576} MiB`,
            field,
            'a lab manifest is a few KiB; split it or remove what the lab does not need',
          );
    }
    policy.budget.used += n;
    return buf.subarray(0, n).toString('utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    return fail(`cannot read ${file}${code ? ` (${code})` : ''}`, field, 'check the path and its permissions', cause);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
