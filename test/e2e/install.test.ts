/**
 * The installable CLI: `npm pack` of this checkout, `npm install -g --prefix <fresh>` of the
 * tarball, and `lab` run from that prefix as a user who is not root but is in the docker group,
 * from a directory outside the checkout: --version, shell completion, the guide lab (found in the
 * package) up, verified and down, and `lab up -t` of a file in the current directory. A user
 * outside the docker group is told what to do about the socket. The images are the recipe's
 * (built by root beforehand: the offline debootstrap build is what needs root).
 * Needs root itself (useradd, runuser), as CI runs it.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import execa from 'execa';
import { ROOT, labContainers, labName } from './helpers';
import { ensureImage } from '../../src/runtime/images';
import { resolveCoreDnsImage } from '../../src/runtime/coredns-image';

jest.setTimeout(1_200_000);
const USER = 'k8s-netlab-e2e';
const OUTSIDER = 'k8s-netlab-e2e-nodocker';
const GUIDE_LAB = labName('e2e-install');
const CWD_LAB = labName('e2e-install-cwd');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let dir = '';
let prefix = '';
let home = '';

/** Runs `cmd` as `user` in `cwd` with the prefix's bin first on PATH (a login-like environment). */
function as(user: string, cmd: string, cwd = dir) {
  // The host's trust and proxy settings (a registry behind a TLS-intercepting proxy needs its CA).
  const passed = Object.fromEntries(
    Object.entries(process.env).filter(([k]) =>
      /^(CI|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY)$/.test(k),
    ),
  );
  const env = {
    ...passed,
    PATH: `${prefix}/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
    HOME: `/home/${user}`,
    LANG: 'C.UTF-8',
  };
  return execa('runuser', ['-u', user, '--', 'sh', '-c', cmd], {
    cwd,
    env,
    reject: false,
    timeout: 900_000,
    extendEnv: false,
  });
}

/** The user exists, with a home, in (or out of) the docker group; run again, nothing changes. */
async function ensureUser(name: string, docker: boolean): Promise<void> {
  if ((await execa('id', ['-u', name], { reject: false })).exitCode !== 0)
    await execa('useradd', ['--create-home', '--shell', '/bin/sh', name]);
  if (docker) await execa('usermod', ['-aG', 'docker', name]);
  else await execa('gpasswd', ['-d', name, 'docker'], { reject: false });
}

beforeAll(async () => {
  expect(process.getuid?.()).toBe(0);
  // What root does once: the images (debootstrap needs root); the user then only runs them.
  await ensureImage();
  expect(await resolveCoreDnsImage()).toMatchObject({ available: true });
  await ensureUser(USER, true);
  await ensureUser(OUTSIDER, false);
  dir = mkdtempSync('/tmp/k8s-netlab-install-');
  chmodSync(dir, 0o777);
  prefix = join(dir, 'prefix');
  home = `/home/${USER}`;
});

afterAll(async () => {
  await as(USER, `lab down --name ${GUIDE_LAB}; lab down --name ${CWD_LAB}`);
});

describe('npm pack, npm install -g into a fresh prefix, lab as a docker-group user', () => {
  it('packs a tarball that installs a lab command into the prefix', async () => {
    const pack = await execa('npm', ['pack', '--pack-destination', dir, '--json'], { cwd: ROOT, reject: false });
    expect(pack.exitCode).toBe(0);
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = info.files.map((f) => f.path);
    for (const f of [
      'bin/lab.js',
      'dist/cli/index.js',
      'topologies/guide.yaml',
      'schemas/topology.schema.json',
      'images/node/Dockerfile',
      'images/node/packages.debian',
      'images/coredns/go.sum',
      'scripts/build-image-debootstrap.sh',
      'scripts/build-coredns-image.sh',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
    const tarball = join(dir, info.filename);
    chmodSync(tarball, 0o644);
    const inst = await as(USER, `npm install -g --no-audit --no-fund --prefix ${prefix} ${tarball}`);
    expect(inst.stderr).not.toMatch(/ERR!/);
    expect(inst.exitCode).toBe(0);
    const which = await as(USER, 'command -v lab');
    expect(which.stdout.trim()).toBe(`${prefix}/bin/lab`);
  });

  it('lab --version and shell completion', async () => {
    expect((await as(USER, 'lab --version')).stdout.trim()).toBe(version);
    const c = await as(USER, 'lab completion');
    expect(c.exitCode).toBe(0);
    expect(c.stdout).toMatch(/lab --get-yargs-completions/);
    const words = await as(USER, 'lab --get-yargs-completions lab ima');
    expect(words.stdout.split('\n')).toContain('images');
  });

  it('from /tmp, lab up brings the guide lab (found in the package) up; verify passes; down removes it', async () => {
    const id = await as(USER, 'id -un; id -Gn');
    expect(id.stdout).toMatch(new RegExp(`^${USER}\\n.*\\bdocker\\b`));
    const up = await as(USER, `lab up --name ${GUIDE_LAB} --no-verify`);
    expect(up.stderr).not.toMatch(/error/i);
    expect(up.exitCode).toBe(0);
    expect(up.stdout).toMatch(/dns server coredns/);
    const v = await as(USER, `lab verify --name ${GUIDE_LAB} --junit report.xml`);
    expect(v.stdout).toMatch(/all \d+ probes passed/);
    expect(v.exitCode).toBe(0);
    const xml = readFileSync(join(dir, 'report.xml'), 'utf8');
    expect(xml).toMatch(/<testsuite name="dns" tests="\d+" failures="0"( skipped="\d+")?>/);
    expect(xml).not.toMatch(/failures="[1-9]/);
    const down = await as(USER, `lab down --name ${GUIDE_LAB}`);
    expect(down.exitCode).toBe(0);
    expect(await labContainers(GUIDE_LAB)).toEqual([]);
  });

  it('lab up -t of a file in the current directory', async () => {
    const sub = join(dir, 'mine');
    await as(USER, `mkdir -p ${sub}`);
    writeFileSync(
      join(sub, 'two.yaml'),
      [
        `name: ${CWD_LAB}`,
        'nodes: [{name: node1}, {name: node2}]',
        'objects:',
        '  - apiVersion: apps/v1',
        '    kind: Deployment',
        '    metadata: {name: web}',
        '    spec:',
        '      replicas: 2',
        '      selector: {matchLabels: {app: web}}',
        '      template:',
        '        metadata: {labels: {app: web}}',
        '        spec:',
        '          containers:',
        '            - {name: web, image: "registry.k8s.io/e2e-test-images/agnhost:2.47", args: [netexec, --http-port=8080], ports: [{name: http, containerPort: 8080}]}',
        '  - apiVersion: v1',
        '    kind: Service',
        '    metadata: {name: web}',
        '    spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const up = await as(USER, 'lab up -t two.yaml --no-verify', sub);
    expect(up.exitCode).toBe(0);
    expect(up.stdout).toMatch(new RegExp(`starting from two\\.yaml: 2 nodes`));
    // Paths whose clients are not backends: a backend calling its own Service is hairpin-SNATed, which is not this test's subject.
    const v = await as(USER, `lab verify --name ${CWD_LAB} --path pod-to-pod-cross-node --path dns`, sub);
    expect(v.stdout).toMatch(/all \d+ probes passed/);
    expect(v.exitCode).toBe(0);
    expect((await as(USER, `lab down --name ${CWD_LAB}`, sub)).exitCode).toBe(0);
    expect(await labContainers(CWD_LAB)).toEqual([]);
    expect(home).toBe(`/home/${USER}`);
  });

  it('a user outside the docker group is told what to do about the socket', async () => {
    const r = await as(OUTSIDER, `lab up --name ${labName('e2e-install-denied')}`);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/permission denied on the Docker socket (unix:\/\/)?\/var\/run\/docker\.sock/);
    expect(r.stderr).toMatch(/fix: add your user to the docker group/);
  });
});
