/**
 * Can a CoreDNS image be had? coredns/coredns present or pulled within a short timeout; else the
 * lab's own image built from CoreDNS's Go module (images/coredns, scripts/build-coredns-image.sh),
 * present or built now where Go is installed. Offline (no registry: the pull fails at once with
 * "no such host") and without Go, `lab up` falls back to the offline DNS server
 * (src/topology/dns-server.ts).
 */
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import execa from 'execa';
import { docker } from './docker';
import { projectRoot } from './images';
import { EngineError, LabError } from '../errors';
import { COREDNS_IMAGE, COREDNS_IMAGE_ENV, CoreDnsAvailability } from '../topology/dns-server';
import { COREDNS_RECIPE_FILES, coreDnsRecipeTag } from '../images/coredns-recipe';

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
  const parts = s
    .split(/:\s+/)
    .map((x) => x.trim())
    .filter(Boolean);
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
export async function coreDnsAvailability(
  image = COREDNS_IMAGE,
  opts: CoreDnsImageOptions = {},
): Promise<CoreDnsAvailability> {
  if (await present(image)) return { available: true, how: 'present', reason: `image ${image} present locally`, image };
  if (opts.pull === false)
    return { available: false, how: 'unavailable', reason: `image ${image} is not present locally (pull not tried)` };
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
    return {
      available: false,
      how: 'unavailable',
      reason: `image ${image} is not present locally and cannot be pulled: ${lastWords(detail)}`,
      detail,
    };
  } finally {
    clearTimeout(timer);
  }
  if (!(await present(image)))
    return { available: false, how: 'unavailable', reason: `the pull of ${image} finished but the image is not there` };
  return { available: true, how: 'pulled', reason: `image ${image} pulled`, image };
}

/** `k8s-netlab/coredns:<recipe hash>` of the recipe files as they are now. */
export function coreDnsLocalTag(): string {
  const root = projectRoot();
  return coreDnsRecipeTag(
    Object.fromEntries(COREDNS_RECIPE_FILES.map((p) => [p, readFileSync(path.join(root, p), 'utf8')])),
  );
}

/** The Go toolchain: `go` on PATH, else /usr/local/go/bin/go (where the official tarball puts it). */
export function findGo(env: Record<string, string | undefined> = process.env): string | undefined {
  for (const d of (env.PATH ?? '').split(path.delimiter))
    if (d && existsSync(path.join(d, 'go'))) return path.join(d, 'go');
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

/** Runs scripts/build-coredns-image.sh; rejects with its last lines. */
export async function buildCoreDnsImage(tag: string, onProgress: (l: string) => void = () => undefined): Promise<void> {
  const go = findGo();
  if (!go)
    throw new LabError('no Go toolchain to build the CoreDNS image', {
      hint: 'install Go >= 1.21 (https://go.dev/dl/), or make coredns/coredns pullable',
    });
  const env = { ...process.env, PATH: `${process.env.PATH ?? ''}${path.delimiter}${path.dirname(go)}` };
  const child = execa('bash', [path.join(projectRoot(), 'scripts/build-coredns-image.sh'), tag], {
    all: true,
    reject: false,
    env,
  });
  const tail: string[] = [];
  child.all?.on('data', (d: Buffer) => {
    for (const l of d.toString('utf8').split('\n')) {
      if (!l.trim()) continue;
      tail.push(l.trimEnd());
      if (tail.length > 20) tail.shift();
      onProgress(l.trimEnd());
    }
  });
  const res = await child;
  if (res.exitCode !== 0)
    throw new LabError(`the CoreDNS image build failed (exit ${res.exitCode}):\n${tail.join('\n')}`, {
      hint: 'see the lines above; the build needs the Go module proxy (GOPROXY) or a filled module cache',
    });
}

export interface ResolveCoreDnsOptions extends CoreDnsImageOptions {
  /** Build the lab's own image when nothing else can be had (default true). */
  build?: boolean;
  env?: Record<string, string | undefined>;
  /** Where Go is (default findGo). */
  findGo?: () => string | undefined;
}

/**
 * The CoreDNS image a lab runs, first that can be had: coredns/coredns present; the lab's own
 * build present; coredns/coredns pulled; the lab's own built now (Go needed). With
 * $K8S_NETLAB_COREDNS_IMAGE set, that image only (present or pulled).
 */
export async function resolveCoreDnsImage(opts: ResolveCoreDnsOptions = {}): Promise<CoreDnsAvailability> {
  const env = opts.env ?? process.env;
  const asked = env[COREDNS_IMAGE_ENV]?.trim();
  if (asked) return coreDnsAvailability(asked, opts);
  const upstream = await coreDnsAvailability(COREDNS_IMAGE, { ...opts, pull: false });
  if (upstream.available) return upstream;
  const local = coreDnsLocalTag();
  if (await present(local))
    return {
      available: true,
      how: 'present',
      reason: `image ${local} (built from the CoreDNS Go module) present locally`,
      image: local,
    };
  const pulled = await coreDnsAvailability(COREDNS_IMAGE, opts);
  if (pulled.available || opts.build === false) return pulled;
  if (!(opts.findGo ?? (() => findGo(env)))())
    return { ...pulled, reason: `${pulled.reason}; no Go toolchain to build ${local} from the CoreDNS Go module` };
  const progress = opts.onProgress ?? (() => undefined);
  progress(`${pulled.reason}; building ${local} from the CoreDNS Go module`);
  try {
    await buildCoreDnsImage(local, progress);
  } catch (err) {
    return {
      available: false,
      how: 'unavailable',
      reason: `${pulled.reason}; the build of ${local} failed`,
      detail: (err as Error).message,
    };
  }
  if (!(await present(local)))
    return {
      available: false,
      how: 'unavailable',
      reason: `the build of ${local} finished but the image is not there`,
    };
  return {
    available: true,
    how: 'built',
    reason: `image ${local} built from the CoreDNS Go module (${pulled.reason})`,
    image: local,
  };
}
