import { existsSync } from 'fs';
import { PassThrough } from 'stream';
import { EngineError } from '../../src/errors';

/** A fake engine: which images exist, and what a pull does. */
const engine = {
  images: new Set<string>(),
  inspectError: undefined as undefined | { statusCode: number; message: string },
  pull: (image: string, cb: (err: Error | null, stream: NodeJS.ReadableStream) => void): void => {
    cb(
      new Error(
        `Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host (${image})`,
      ),
      new PassThrough(),
    );
  },
  pulls: 0,
};

jest.mock('../../src/runtime/docker', () => ({
  docker: () => ({
    getImage: (name: string) => ({
      inspect: async () => {
        if (engine.inspectError)
          throw Object.assign(new Error(engine.inspectError.message), { statusCode: engine.inspectError.statusCode });
        if (engine.images.has(name)) return { Id: 'sha256:x' };
        throw Object.assign(new Error('no such image'), { statusCode: 404 });
      },
    }),
    pull: (image: string, cb: (err: Error | null, stream: NodeJS.ReadableStream) => void) => {
      engine.pulls++;
      engine.pull(image, cb);
    },
    modem: {
      followProgress: (stream: NodeJS.ReadableStream, done: (err: Error | null, res: unknown[]) => void) => {
        stream.on('end', () => done(null, []));
        stream.resume();
      },
    },
  }),
}));
import {
  coreDnsAvailability,
  coreDnsLocalTag,
  findGo,
  lastWords,
  resolveCoreDnsImage,
} from '../../src/runtime/coredns-image';
import { COREDNS_IMAGE } from '../../src/topology/dns-server';

beforeEach(() => {
  engine.images.clear();
  engine.inspectError = undefined;
  engine.pulls = 0;
  engine.pull = (image, cb) =>
    cb(
      new Error(
        `Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host`,
      ),
      new PassThrough(),
    );
});

describe('CoreDNS image availability', () => {
  it('present locally: no pull', async () => {
    engine.images.add(COREDNS_IMAGE);
    expect(await coreDnsAvailability()).toEqual({
      available: true,
      how: 'present',
      reason: `image ${COREDNS_IMAGE} present locally`,
      image: COREDNS_IMAGE,
    });
    expect(engine.pulls).toBe(0);
  });

  it("absent and the registry unreachable: unavailable at once, with the engine's reason", async () => {
    const t0 = Date.now();
    const a = await coreDnsAvailability();
    expect(a.available).toBe(false);
    expect(a.how).toBe('unavailable');
    expect(a.reason).toBe(`image ${COREDNS_IMAGE} is not present locally and cannot be pulled: no such host`);
    expect(a.detail).toMatch(
      /^Get "https:\/\/registry-1\.docker\.io\/v2\/": dial tcp: lookup registry-1\.docker\.io on 10\.255\.255\.53:53: no such host$/,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('absent and pullable: pulled', async () => {
    engine.pull = (image, cb) => {
      const s = new PassThrough();
      cb(null, s);
      setTimeout(() => {
        engine.images.add(image);
        s.end();
      }, 10);
    };
    expect(await coreDnsAvailability()).toEqual({
      available: true,
      how: 'pulled',
      reason: `image ${COREDNS_IMAGE} pulled`,
      image: COREDNS_IMAGE,
    });
  });

  it('a pull that hangs is given up after the timeout', async () => {
    engine.pull = (_image, cb) => cb(null, new PassThrough());
    const a = await coreDnsAvailability(COREDNS_IMAGE, { pullTimeoutMs: 100 });
    expect(a.available).toBe(false);
    expect(a.reason).toMatch(/cannot be pulled: the pull did not finish within 0.1 s$/);
  });

  it('pull: false only looks', async () => {
    const a = await coreDnsAvailability(COREDNS_IMAGE, { pull: false });
    expect(a).toMatchObject({ available: false, how: 'unavailable' });
    expect(engine.pulls).toBe(0);
  });

  it('an engine that cannot inspect is an engine error, not a fallback', async () => {
    engine.inspectError = { statusCode: 500, message: 'boom' };
    await expect(coreDnsAvailability()).rejects.toBeInstanceOf(EngineError);
  });
});

describe('lastWords', () => {
  it('keeps what follows the last colon', () => {
    expect(lastWords('a: b: no such host')).toBe('no such host');
    expect(lastWords('plain')).toBe('plain');
  });
});

describe('resolveCoreDnsImage: which CoreDNS image a lab runs', () => {
  const noGo = { PATH: '/nonexistent' };
  it('coredns/coredns when present, before anything else', async () => {
    engine.images.add(COREDNS_IMAGE);
    engine.images.add(coreDnsLocalTag());
    expect(await resolveCoreDnsImage({ env: noGo })).toMatchObject({
      available: true,
      how: 'present',
      image: COREDNS_IMAGE,
    });
    expect(engine.pulls).toBe(0);
  });
  it("else the lab's own build (k8s-netlab/coredns:<recipe hash>) when present, without a pull", async () => {
    engine.images.add(coreDnsLocalTag());
    const a = await resolveCoreDnsImage({ env: noGo });
    expect(a).toMatchObject({ available: true, how: 'present', image: coreDnsLocalTag() });
    expect(a.image).toMatch(/^k8s-netlab\/coredns:[0-9a-f]{12}$/);
    expect(engine.pulls).toBe(0);
  });
  it('else a pull of coredns/coredns', async () => {
    engine.pull = (image, cb) => {
      const s = new PassThrough();
      cb(null, s);
      setTimeout(() => {
        engine.images.add(image);
        s.end();
      }, 10);
    };
    expect(await resolveCoreDnsImage({ env: noGo })).toMatchObject({
      available: true,
      how: 'pulled',
      image: COREDNS_IMAGE,
    });
  });
  it('else, without Go, unavailable saying both reasons', async () => {
    const a = await resolveCoreDnsImage({ env: noGo, findGo: () => undefined });
    expect(a.available).toBe(false);
    expect(a.reason).toMatch(
      /cannot be pulled: no such host; no Go toolchain to build k8s-netlab\/coredns:[0-9a-f]{12} from the CoreDNS Go module$/,
    );
  });
  it('build: false does not build', async () => {
    expect(await resolveCoreDnsImage({ env: noGo, build: false, findGo: () => undefined })).toMatchObject({
      available: false,
    });
  });
  it('K8S_NETLAB_COREDNS_IMAGE: that image only', async () => {
    engine.images.add(coreDnsLocalTag());
    engine.images.add('mirror/coredns:1');
    expect(await resolveCoreDnsImage({ env: { K8S_NETLAB_COREDNS_IMAGE: 'mirror/coredns:1' } })).toMatchObject({
      available: true,
      image: 'mirror/coredns:1',
    });
    expect(
      await resolveCoreDnsImage({ env: { K8S_NETLAB_COREDNS_IMAGE: 'other/coredns:2', PATH: '/nonexistent' } }),
    ).toMatchObject({ available: false });
  });
  it('finds go on PATH', () => {
    expect(findGo({ PATH: '/nonexistent' })).toBe(
      existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined,
    );
  });
});
