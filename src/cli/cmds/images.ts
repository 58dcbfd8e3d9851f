/** `lab images build|tag|ls`: the lab image, tagged by recipe hash and built once. */
import type { Argv } from 'yargs';
import { ensureImage, imageExists, imageTag, ImageBuilder, listLabImages } from '../../runtime/images';
import { pingEngine } from '../../runtime/docker';
import { resolveCoreDnsImage } from '../../runtime/coredns-image';

export const command = 'images <action>';
export const describe = 'Build or list the lab image (k8s-netlab/node:<recipe hash>)';

interface ImagesArgs {
  action?: string;
  builder?: ImageBuilder;
  verbose?: boolean;
}

/** debootstrap prints one line per package step; shown only with --verbose. */
const NOISY = /^\[debootstrap\] I: (Retrieving|Validating|Extracting|Unpacking|Configuring|Checking|Found)/;

const build = {
  command: 'build',
  describe:
    'Build the lab image, and the CoreDNS image where coredns/coredns cannot be pulled, if their tags do not exist yet (never rebuilds an existing tag)',
  builder: (y: Argv) =>
    y
      .option('builder', {
        choices: ['auto', 'dockerfile', 'debootstrap'] as const,
        describe: 'auto: Dockerfile if the registry answers, else debootstrap (env K8S_NETLAB_IMAGE_BUILDER)',
      })
      .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'show every builder line' }),
  handler: async (argv: ImagesArgs) => {
    await pingEngine();
    await buildNode(argv);
    // The cluster DNS: coredns/coredns where a registry answers, else built from CoreDNS's Go module.
    const started = Date.now();
    const dns = await resolveCoreDnsImage({ onProgress: (l) => console.log(`[coredns] ${l}`) });
    if (!dns.available)
      console.log(
        `[coredns] no CoreDNS image: ${dns.reason}${dns.detail ? `\n${dns.detail}` : ''}; labs will use the offline DNS fallback (knotd + unbound)`,
      );
    else
      console.log(
        `[coredns] ${dns.reason}${dns.how === 'built' ? ` in ${Math.round((Date.now() - started) / 1000)} s` : ''}`,
      );
  },
};

async function buildNode(argv: ImagesArgs): Promise<void> {
  const tag = imageTag();
  if (await imageExists(tag)) {
    console.log(`${tag} already exists`);
    return;
  }
  const started = Date.now();
  let hidden = 0;
  const built = await ensureImage({
    builder: argv.builder,
    onProgress: (line) => {
      if (!argv.verbose && NOISY.test(line)) {
        if (++hidden % 50 === 0) console.log(`[debootstrap] ... ${hidden} package steps`);
        return;
      }
      console.log(line);
    },
  });
  console.log(`built ${built} in ${Math.round((Date.now() - started) / 1000)} s`);
}

const tag = {
  command: 'tag',
  describe: 'Print the lab image tag of the current recipe',
  handler: () => {
    console.log(imageTag());
  },
};

const ls = {
  command: 'ls',
  describe: 'List local lab images (* marks the current recipe)',
  handler: async () => {
    await pingEngine();
    const rows = await listLabImages();
    if (rows.length === 0) console.log(`no lab image; current recipe: ${imageTag()} (lab images build)`);
    for (const r of rows) {
      const when = new Date(r.created * 1000).toISOString().replace('T', ' ').slice(0, 19);
      console.log(`${r.current ? '*' : ' '} ${r.tag}  ${Math.round(r.sizeBytes / 1e6)} MB  ${when}`);
    }
  },
};

export function builder(y: Argv): Argv {
  return y.command(build).command(tag).command(ls).demandCommand(1);
}

export function handler(): void {
  // Subcommands do the work.
}
