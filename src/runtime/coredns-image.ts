/**
 * Can the CoreDNS image be had? Present in the local image store, or pulled within a short
 * timeout. Offline (no registry: the pull fails at once with "no such host") the answer comes
 * back quickly and `lab up` falls back to the offline DNS server (src/topology/dns-server.ts).
 */
import { docker } from './docker';
import { EngineError } from '../errors';
import { COREDNS_IMAGE, CoreDnsAvailability } from '../topology/dns-server';

/** A registry that answers pulls the ~20 MB image in a few seconds; one that does not answer is not waited for. */
export const COREDNS_PULL_TIMEOUT_MS = 15_000;

export interface CoreDnsImageOptions {
  /** Try a pull when the image is not present (default true). */
  pull?: boolean;
  pullTimeoutMs?: number;
  onProgress?: (line: string) => void;
}

async function present(image: string): Promise<boolean> {
  try {
    await docker().getImage(image).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw new EngineError(`could not inspect image ${image}: ${(err as Error).message}`, { cause: err });
  }
}

/** `Get "https://...": dial tcp: lookup x on y:53: no such host` -> `no such host`. */
export function lastWords(s: string): string {
  const parts = s.split(/:\s+/).map((x) => x.trim()).filter(Boolean);
  return parts[parts.length - 1] ?? s;
}

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim()) ?? s).trim();
}

/** Pulls `image`; rejects with the engine's error (e.g. `... lookup registry-1.docker.io ...: no such host`). */
function pull(image: string, onProgress: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    docker().pull(image, (err: Error | null, stream: NodeJS.ReadableStream) => {
      if (err) return reject(err);
      docker().modem.followProgress(
        stream,
        (e: Error | null, res: Array<{ error?: string }>) => {
          if (e) return reject(e);
          const bad = (res ?? []).find((r) => r.error);
          return bad ? reject(new Error(bad.error)) : resolve();
        },
        (ev: { status?: string; id?: string }) => {
          if (ev.status && !ev.id) onProgress(ev.status);
        },
      );
    });
  });
}

/** Present, pulled, or unavailable with the reason. Engine trouble other than a failed pull throws. */
export async function coreDnsAvailability(image = COREDNS_IMAGE, opts: CoreDnsImageOptions = {}): Promise<CoreDnsAvailability> {
  if (await present(image)) return { available: true, how: 'present', reason: `image ${image} present locally` };
  if (opts.pull === false) return { available: false, how: 'unavailable', reason: `image ${image} is not present locally (pull not tried)` };
  const ms = opts.pullTimeoutMs ?? COREDNS_PULL_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the pull did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    await Promise.race([pull(image, opts.onProgress ?? (() => undefined)), timeout]);
  } catch (err) {
    // The reason keeps the engine's last words ("no such host"); auto prints it as progress, not as a failure.
    const detail = firstLine((err as Error).message);
    return { available: false, how: 'unavailable', reason: `image ${image} is not present locally and cannot be pulled: ${lastWords(detail)}`, detail };
  } finally {
    clearTimeout(timer);
  }
  if (!(await present(image))) return { available: false, how: 'unavailable', reason: `the pull of ${image} finished but the image is not there` };
  return { available: true, how: 'pulled', reason: `image ${image} pulled` };
}
