/**
 * lab up's kernel preflight, remembered between runs: the features the last probe measured, with
 * the key they hold under. Only what was found present is ever trusted (the preflight re-probes
 * whenever a feature the lab needs is missing from the cache), and that is safe because a feature
 * a probe found present stays present while the key holds:
 * - the boot (/proc/sys/kernel/random/boot_id) and kernel release: modules can be loaded within a
 *   boot, which only adds features (re-probed, as misses); a new boot or kernel is a new key;
 * - the lab image's tag (a hash of its recipe): the iptables/nft/ip tools the probe ran;
 * - the engine: its local socket's path, inode and ctime, which a restarted daemon (perhaps with
 *   other security options) recreates; a remote engine (DOCKER_HOST tcp://…) runs on another
 *   kernel this host cannot identify, so it is never cached.
 * Should a feature still vanish (a module unloaded by hand), the lab's setup fails and lab up
 * removes everything, as for any failed setup. One file in the tool's cache directory
 * ($K8S_NETLAB_CACHE_DIR, else $XDG_CACHE_HOME/k8s-netlab, else ~/.cache/k8s-netlab), replaced on
 * every probe; nothing else is written on the host.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { KernelFeatures } from '../model/kernel';

export interface KernelCacheKey {
  bootId: string;
  kernel: string;
  image: string;
  engine: string;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.K8S_NETLAB_CACHE_DIR) return env.K8S_NETLAB_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'k8s-netlab');
}

export const CACHE_FILE = 'kernel-features.json';

/** The engine's local socket path, or undefined when the engine is remote (DOCKER_HOST other than unix://). */
export function engineSocket(dockerHost: string | undefined): string | undefined {
  if (dockerHost === undefined || dockerHost === '') return '/var/run/docker.sock';
  return dockerHost.startsWith('unix://') ? dockerHost.slice('unix://'.length) : undefined;
}

/** The key of this host's kernel, engine and image now; undefined when it cannot be known (never cache then). */
export function currentKey(image: string, env: NodeJS.ProcessEnv = process.env): KernelCacheKey | undefined {
  const socket = engineSocket(env.DOCKER_HOST);
  if (!socket) return undefined;
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const st = statSync(socket);
    if (!bootId) return undefined;
    return { bootId, kernel: os.release(), image, engine: `${socket} ino=${st.ino} ctime=${st.ctimeMs}` };
  } catch {
    return undefined;
  }
}

function sameKey(a: KernelCacheKey, b: KernelCacheKey): boolean {
  return a.bootId === b.bootId && a.kernel === b.kernel && a.image === b.image && a.engine === b.engine;
}

/** The features stored under exactly this key, else undefined (no file, another key, unreadable). */
export function readCachedFeatures(key: KernelCacheKey, dir = cacheDir()): KernelFeatures | undefined {
  try {
    const stored = JSON.parse(readFileSync(path.join(dir, CACHE_FILE), 'utf8')) as {
      key?: KernelCacheKey;
      features?: KernelFeatures;
    };
    return stored.key && stored.features && sameKey(stored.key, key) ? stored.features : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces the cache with these features (by rename: a concurrent reader sees the old or the new file). */
export function storeFeatures(key: KernelCacheKey, features: KernelFeatures, dir = cacheDir()): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, CACHE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ key, features }, null, 1) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}
