/**
 * One image recipe, two ways: images/node/Dockerfile installs exactly images/node/packages.debian,
 * as the offline debootstrap builder does. Here it is built by the lab's own Dockerfile builder
 * (the code `lab images build --builder dockerfile` runs) from a bookworm minbase that the offline
 * builder makes and tags locally (`build-image-debootstrap.sh --base`), so only the pull of the
 * official debian:bookworm-slim stays untested. The image is checked (Debian, glibc, every tool
 * the lab execs answers), then a lab runs on it and its pod-to-pod and dns paths pass.
 * Both images are tagged by a hash of their recipe and not rebuilt while it is unchanged.
 */
import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { join } from 'path';
import execa from 'execa';
import { GUIDE, LAB_BIN, ROOT, labContainers, labName } from './helpers';
import { buildWithDockerfile, imageExists, imageTag, NODE_IMAGE_ENV } from '../../src/runtime/images';
import { IMAGE_TOOLS, probeLab } from '../../src/runtime/kernel';

jest.setTimeout(1_200_000);
const NAME = labName('e2e-dockerfile');
const SCRIPT = join(ROOT, 'scripts', 'build-image-debootstrap.sh');
/** The minbase tag follows the offline builder's script, the Dockerfile image the lab recipe. */
const BASE = `k8s-netlab/debian-base:${createHash('sha256').update(readFileSync(SCRIPT)).digest('hex').slice(0, 12)}`;
const TAG = `${imageTag()}-dockerfile`;

const labRun = (args: string[]) =>
  execa('node', [LAB_BIN, ...args], {
    reject: false,
    cwd: ROOT,
    env: { ...process.env, [NODE_IMAGE_ENV]: TAG },
    timeout: 600_000,
  });

afterAll(async () => {
  await labRun(['down', '--name', NAME]);
});

describe('the Dockerfile recipe, built from a local Debian base', () => {
  it("builds from the offline builder's minbase (docker build --build-arg BASE=...), once per recipe", async () => {
    if (!(await imageExists(BASE))) {
      const t0 = Date.now();
      const b = await execa('bash', [SCRIPT, '--base', BASE], { reject: false, all: true });
      console.log(
        `base ${BASE}: exit ${b.exitCode} in ${Math.round((Date.now() - t0) / 1000)} s\n${b.all?.split('\n').slice(-2).join('\n')}`,
      );
      expect(b.exitCode).toBe(0);
    }
    const labels = (await execa('docker', ['image', 'inspect', '-f', '{{json .Config.Labels}}', BASE])).stdout;
    expect(JSON.parse(labels)).toMatchObject({ 'k8s-netlab.builder': 'debootstrap-base' });
    if (!(await imageExists(TAG))) {
      const t0 = Date.now();
      const lines: string[] = [];
      await buildWithDockerfile(TAG, (l) => lines.push(l), { base: BASE });
      console.log(`${TAG} built from ${BASE} in ${Math.round((Date.now() - t0) / 1000)} s`);
      expect(lines.join('\n')).toMatch(/Step \d+\/\d+ : FROM /);
    }
    const info = JSON.parse((await execa('docker', ['image', 'inspect', TAG])).stdout)[0];
    console.log(`${TAG}: ${Math.round(info.Size / 1e6)} MB`);
    expect(info.Config.Labels['k8s-netlab.builder']).toBe('dockerfile');
  });

  it('is Debian bookworm with glibc, holding exactly the packages of packages.debian', async () => {
    const r = await execa(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        'none',
        TAG,
        'sh',
        '-c',
        'cat /etc/debian_version; ldd --version | head -1; dpkg-query -W -f "\\${Package}\\n"',
      ],
      { reject: false },
    );
    expect(r.exitCode).toBe(0);
    const [version, libc, ...installed] = r.stdout.split('\n');
    expect(version).toMatch(/^12\./);
    expect(libc).toMatch(/GLIBC|GNU libc/);
    const wanted = readFileSync(join(ROOT, 'images', 'node', 'packages.debian'), 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean);
    for (const p of wanted) expect(installed).toContain(p);
  });

  it('has every tool the lab execs (what lab doctor checks)', async () => {
    const { tools } = await probeLab(TAG);
    expect(Object.keys(tools).sort()).toEqual(Object.keys(IMAGE_TOOLS).sort());
    expect(Object.entries(tools).filter(([, ok]) => !ok)).toEqual([]);
  });

  it('runs the guide lab: pod-to-pod and dns paths pass on it', async () => {
    const up = await labRun(['up', '-t', GUIDE, '--name', NAME, '--no-verify']);
    expect(up.exitCode).toBe(0);
    const nodeImage = (
      await execa('docker', ['inspect', '-f', '{{.Config.Image}}', `k8s-netlab-${NAME}-node1`])
    ).stdout.trim();
    expect(nodeImage).toBe(TAG);
    const v = await labRun([
      'verify',
      '--name',
      NAME,
      '--json',
      '--path',
      'pod-to-pod-same-node',
      '--path',
      'pod-to-pod-cross-node',
      '--path',
      'dns',
    ]);
    const doc = JSON.parse(v.stdout);
    expect(new Set(doc.probes.map((p: { path: string }) => p.path))).toEqual(
      new Set(['pod-to-pod-same-node', 'pod-to-pod-cross-node', 'dns']),
    );
    expect(doc.probes.filter((p: { ok: boolean }) => !p.ok)).toEqual([]);
    expect(v.exitCode).toBe(0);
    await labRun(['down', '--name', NAME]);
    expect(await labContainers(NAME)).toEqual([]);
  });
});
