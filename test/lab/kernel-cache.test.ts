import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CACHE_FILE,
  cacheDir,
  currentKey,
  engineSocket,
  readCachedFeatures,
  storeFeatures,
} from '../../src/lab/kernel-cache';
import { coversModel, preflight } from '../../src/lab/preflight';
import { InputError } from '../../src/errors';
import type { KernelFeatures } from '../../src/runtime/kernel';
import { fixtureModel } from '../fixtures/model';

const probeKernel = jest.fn<Promise<KernelFeatures>, [string, string?]>();
jest.mock('../../src/runtime/kernel', () => ({ probeKernel: (...a: [string, string?]) => probeKernel(...a) }));

const present: KernelFeatures = {
  veth: true,
  bridge: true,
  vxlan: true,
  dummy: false,
  nftables: true,
  iptablesNft: true,
  iptablesLegacy: true,
  ipvs: false,
  ipset: true,
  conntrack: true,
  details: { ipvs: 'no /proc/net/ip_vs' },
};

let tmp: string;
let socket: string;
const saved = { ...process.env };

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kernel-cache-'));
  socket = path.join(tmp, 'docker.sock');
  writeFileSync(socket, '');
  process.env.K8S_NETLAB_CACHE_DIR = path.join(tmp, 'cache');
  process.env.DOCKER_HOST = `unix://${socket}`;
  probeKernel.mockReset();
});

afterEach(() => {
  process.env = { ...saved };
  rmSync(tmp, { recursive: true, force: true });
});

describe('the kernel cache key', () => {
  it('knows a local socket engine and refuses a remote one', () => {
    expect(engineSocket(undefined)).toBe('/var/run/docker.sock');
    expect(engineSocket('unix:///run/user/1000/docker.sock')).toBe('/run/user/1000/docker.sock');
    expect(engineSocket('tcp://10.0.0.5:2376')).toBeUndefined();
    expect(currentKey('img:1', { DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toBeUndefined();
  });

  it('holds the boot, the kernel, the image and the engine socket; a recreated socket is a new key', () => {
    const k = currentKey('img:1')!;
    expect(k.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    expect(k.kernel).toBe(os.release());
    expect(k.image).toBe('img:1');
    expect(k.engine).toContain(socket);
    expect(currentKey('img:2')!.image).toBe('img:2');
    rmSync(socket);
    writeFileSync(path.join(tmp, 'other'), ''); // the old inode number must not come back
    writeFileSync(socket, '');
    expect(currentKey('img:1')!.engine).not.toBe(k.engine);
  });

  it('has no key when the engine socket is missing', () => {
    rmSync(socket);
    expect(currentKey('img:1')).toBeUndefined();
  });

  it('lives in K8S_NETLAB_CACHE_DIR, else XDG_CACHE_HOME/k8s-netlab, else ~/.cache/k8s-netlab', () => {
    expect(cacheDir({ K8S_NETLAB_CACHE_DIR: '/x' })).toBe('/x');
    expect(cacheDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/k8s-netlab');
    expect(cacheDir({})).toBe(path.join(os.homedir(), '.cache', 'k8s-netlab'));
  });
});

describe('the stored features', () => {
  it('are read back only under the same key; a broken file reads as none', () => {
    const k = currentKey('img:1')!;
    storeFeatures(k, present);
    expect(readCachedFeatures(k)).toEqual(present);
    expect(readCachedFeatures({ ...k, bootId: 'another boot' })).toBeUndefined();
    expect(readCachedFeatures({ ...k, image: 'img:2' })).toBeUndefined();
    writeFileSync(path.join(cacheDir(), CACHE_FILE), '{not json');
    expect(readCachedFeatures(k)).toBeUndefined();
    // One file, no temporary left beside it.
    storeFeatures(k, present);
    expect(readdirSync(cacheDir())).toEqual([CACHE_FILE]);
  });
});

describe('preflight with the cache', () => {
  const model = fixtureModel({});

  it('probes once, then answers from the cache while the key holds', async () => {
    expect(coversModel(model, present)).toBe(true);
    probeKernel.mockResolvedValue(present);
    expect(await preflight(model, 'img:1')).toBe('probed');
    expect(await preflight(model, 'img:1')).toBe('cached');
    expect(probeKernel).toHaveBeenCalledTimes(1);
    // Another image (other tools): probed again.
    expect(await preflight(model, 'img:2')).toBe('probed');
    expect(probeKernel).toHaveBeenCalledTimes(2);
  });

  it('never trusts a cached absence: a mode needing a feature the cache lacks probes again and fails as before', async () => {
    probeKernel.mockResolvedValue(present);
    await preflight(model, 'img:1');
    const ipvs = { ...model, cluster: { ...model.cluster, proxy: 'ipvs' as const } };
    expect(coversModel(ipvs, present)).toBe(false);
    await expect(preflight(ipvs, 'img:1')).rejects.toBeInstanceOf(InputError);
    expect(probeKernel).toHaveBeenCalledTimes(2);
    // Loaded since (modprobe ip_vs): the new probe sees it and the lab goes ahead.
    probeKernel.mockResolvedValue({ ...present, ipvs: true, dummy: true });
    expect(await preflight(ipvs, 'img:1')).toBe('probed');
    expect(await preflight(ipvs, 'img:1')).toBe('cached');
  });

  it('a remote engine is probed every time and nothing is written', async () => {
    process.env.DOCKER_HOST = 'tcp://10.0.0.5:2376';
    probeKernel.mockResolvedValue(present);
    expect(await preflight(model, 'img:1')).toBe('probed');
    expect(await preflight(model, 'img:1')).toBe('probed');
    expect(existsSync(cacheDir())).toBe(false);
  });
});
