/**
 * The lab image: tagged by recipe hash, built once. Two builders of one recipe
 * (images/node/packages.debian on Debian bookworm): the Dockerfile (needs the registry for
 * debian:bookworm-slim, or a local base) and the offline debootstrap script (needs Linux, root,
 * a Debian mirror).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import * as tarfs from 'tar-fs';
import { docker } from './docker';
import { EngineError, InputError, LabError } from '../errors';
import { IMAGE_REPO, RECIPE_FILES, recipeTag } from '../images/recipe';
import { projectRoot } from '../images/root';

// Found by src/images/root.ts; re-exported for the runtime's callers.
export { projectRoot };

export type ImageBuilder = 'auto' | 'dockerfile' | 'debootstrap';

export interface EnsureImageOptions {
  builder?: ImageBuilder;
  onProgress?: (line: string) => void;
}

/** The Dockerfile's default base image (its ARG BASE); pulled first so an unreachable registry fails fast. */
export const BASE_IMAGE = 'debian:bookworm-slim';
/** Environment variable naming a lab image to run instead of the recipe's tag (it must exist). */
export const NODE_IMAGE_ENV = 'K8S_NETLAB_NODE_IMAGE';
const PULL_TIMEOUT_MS = 15_000;

/** The recipe tag `k8s-netlab/node:<hash>` of the image files as they are now. */
export function imageTag(): string {
  const root = projectRoot();
  const read = (p: string) => readFileSync(path.join(root, p), 'utf8');
  return recipeTag({
    dockerfile: read(RECIPE_FILES.dockerfile),
    debootstrapScript: read(RECIPE_FILES.debootstrapScript),
    packageList: read(RECIPE_FILES.packageList),
    netexec: read(RECIPE_FILES.netexec),
    netexecBuild: read(RECIPE_FILES.netexecBuild),
  });
}

export async function imageExists(tag: string): Promise<boolean> {
  try {
    await docker().getImage(tag).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw new EngineError(`could not inspect image ${tag}: ${(err as Error).message}`, { cause: err });
  }
}

/** Returns the lab image's tag, building it first if it does not exist. An existing tag is never rebuilt. */
export async function ensureImage(opts: EnsureImageOptions = {}): Promise<string> {
  const asked = process.env[NODE_IMAGE_ENV]?.trim();
  if (asked) {
    if (await imageExists(asked)) return asked;
    throw new LabError(`${NODE_IMAGE_ENV}=${asked}: no such image`, {
      hint: `build it first, or unset ${NODE_IMAGE_ENV} to use the recipe's image (lab images build)`,
    });
  }
  const tag = imageTag();
  if (await imageExists(tag)) return tag;
  const progress = opts.onProgress ?? (() => undefined);
  // An explicit builder wins; else K8S_NETLAB_IMAGE_BUILDER (e.g. debootstrap on offline hosts); else auto.
  const builder = pickBuilder(opts.builder, process.env.K8S_NETLAB_IMAGE_BUILDER);

  if (builder === 'dockerfile') {
    await buildWithDockerfile(tag, progress);
  } else if (builder === 'debootstrap') {
    await buildWithDebootstrap(tag, progress);
  } else {
    try {
      await buildWithDockerfile(tag, progress);
    } catch (err) {
      progress(
        `[image] Dockerfile build failed (${firstLine((err as Error).message)}); using the offline debootstrap builder`,
      );
      await buildWithDebootstrap(tag, progress);
    }
  }
  if (!(await imageExists(tag))) throw new EngineError(`the image build finished but ${tag} does not exist`);
  return tag;
}

/** Resolves the builder to use from the option and the environment; unknown env values are an input error. */
export function pickBuilder(option: ImageBuilder | undefined, env: string | undefined): ImageBuilder {
  if (option && option !== 'auto') return option;
  if (env === undefined || env === '') return 'auto';
  if (env === 'auto' || env === 'dockerfile' || env === 'debootstrap') return env;
  throw new InputError(`K8S_NETLAB_IMAGE_BUILDER=${env} is not a builder`, {
    hint: 'use auto, dockerfile or debootstrap',
  });
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** Follows an engine JSON progress stream; rejects on the first error it carries. */
function follow(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    docker().modem.followProgress(
      stream,
      (err: Error | null, res: Array<{ error?: string }>) => {
        if (err) return reject(err);
        const bad = (res ?? []).find((r) => r.error);
        return bad ? reject(new Error(bad.error)) : resolve();
      },
      (ev: { stream?: string; status?: string; progress?: string; error?: string }) => {
        const text = ev.stream ?? (ev.status ? `${ev.status}${ev.progress ? ' ' + ev.progress : ''}` : ev.error);
        if (text) for (const l of text.split('\n')) if (l.trim()) onLine(l.trimEnd());
      },
    );
  });
}

export interface DockerfileBuildOptions {
  /** Base image (the Dockerfile's ARG BASE); default debian:bookworm-slim, pulled when absent. */
  base?: string;
  labels?: Record<string, string>;
}

/**
 * docker build of images/node/Dockerfile (context images/). The build runs in the host's network
 * namespace: apt-get needs the Debian mirror, and an engine started with --iptables=false (as
 * scripts/setup-docker.sh starts it) gives the default bridge no way out.
 */
export async function buildWithDockerfile(
  tag: string,
  progress: (l: string) => void,
  opts: DockerfileBuildOptions = {},
): Promise<void> {
  const d = docker();
  const base = opts.base ?? BASE_IMAGE;
  const haveBase = await d
    .getImage(base)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  if (!haveBase) {
    if (opts.base)
      throw new LabError(`base image ${base} does not exist`, {
        hint: 'build it first (scripts/build-image-debootstrap.sh --base TAG)',
      });
    progress(`[dockerfile] pulling ${base}`);
    await withTimeout(
      (async () => follow(await d.pull(base), (l) => progress(`[dockerfile] ${l}`)))(),
      PULL_TIMEOUT_MS,
      `pull of ${base}`,
    );
  }
  // Context: images/node plus the netexec binary compiled on this host (static: no libc to match).
  const ctx = mkdtempSync(path.join(os.tmpdir(), 'k8s-netlab-image-'));
  try {
    await buildNetexec(path.join(ctx, 'netexec', 'netexec'), progress);
    const context = tarfs.pack(path.join(projectRoot(), 'images'), {
      entries: ['node'],
      finalize: false,
      finish: (pack) => tarfs.pack(ctx, { pack, entries: ['netexec'] }),
    });
    progress(`[dockerfile] building ${tag} from ${base}`);
    const stream = await d.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: tag,
      dockerfile: 'node/Dockerfile',
      buildargs: { BASE: base },
      networkmode: 'host',
      labels: { 'k8s-netlab.builder': 'dockerfile', ...(opts.labels ?? {}) },
    });
    await follow(stream, (l) => progress(`[dockerfile] ${l}`));
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** Compiles the pod test server (images/netexec/build.sh) to `out`. */
export async function buildNetexec(out: string, progress: (l: string) => void = () => undefined): Promise<void> {
  mkdirSync(path.dirname(out), { recursive: true });
  const script = path.join(projectRoot(), RECIPE_FILES.netexecBuild);
  progress(`[netexec] compiling ${RECIPE_FILES.netexec}`);
  const r = await execa('sh', [script, out], { all: true, reject: false });
  if (r.exitCode !== 0)
    throw new LabError(`compiling the pod test server failed (exit ${r.exitCode}):\n${r.all ?? ''}`, {
      hint: 'install a C compiler and static libc (apt-get install gcc libc6-dev; ./scripts/setup-docker.sh does)',
    });
}

function findOnPath(bin: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/sbin']);
  for (const d of dirs) if (d && existsSync(path.join(d, bin))) return path.join(d, bin);
  return undefined;
}

async function buildWithDebootstrap(tag: string, progress: (l: string) => void): Promise<void> {
  const fix = 'run ./scripts/setup-docker.sh as root (it installs debootstrap), or build where the registry answers';
  if (process.platform !== 'linux') throw new LabError('the offline image builder needs Linux', { hint: fix });
  if (process.getuid?.() !== 0) throw new LabError('the offline image builder (debootstrap) needs root', { hint: fix });
  if (!findOnPath('debootstrap')) throw new LabError('debootstrap is not installed', { hint: fix });

  const script = path.join(projectRoot(), RECIPE_FILES.debootstrapScript);
  progress(`[debootstrap] building ${tag} (about a minute)`);
  const child = execa('bash', [script, tag], { all: true, reject: false, env: { LC_ALL: 'C' } });
  let buf = '';
  const tail: string[] = [];
  child.all?.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trimEnd();
      buf = buf.slice(i + 1);
      if (!line) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      progress(`[debootstrap] ${line}`);
    }
  });
  const res = await child;
  if (buf.trim()) tail.push(buf.trim());
  if (res.exitCode !== 0) {
    throw new LabError(`the debootstrap image build failed (exit ${res.exitCode}):\n${tail.join('\n')}`, { hint: fix });
  }
}

/** Size and creation time of a local image, or undefined when it does not exist. */
export async function imageInfo(tag: string): Promise<{ sizeBytes: number; created: string } | undefined> {
  try {
    const info = await docker().getImage(tag).inspect();
    return { sizeBytes: info.Size, created: info.Created };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw new EngineError(`could not inspect image ${tag}: ${(err as Error).message}`, { cause: err });
  }
}

/** Every local lab image (any recipe), newest first. */
export async function listLabImages(): Promise<
  Array<{ tag: string; sizeBytes: number; created: number; current: boolean }>
> {
  const current = imageTag();
  const list = await docker().listImages({ filters: { reference: [`${IMAGE_REPO}`] } });
  const rows = list.flatMap((img) =>
    (img.RepoTags ?? [])
      .filter((t) => t.startsWith(`${IMAGE_REPO}:`))
      .map((t) => ({ tag: t, sizeBytes: img.Size, created: img.Created, current: t === current })),
  );
  return rows.sort((a, b) => b.created - a.created);
}
