/** ensureImage with K8S_NETLAB_NODE_IMAGE: that image is run when it exists, and is never built. */
const images = new Set<string>();
jest.mock('../../src/runtime/docker', () => ({
  docker: () => ({
    getImage: (name: string) => ({
      inspect: async () => {
        if (images.has(name)) return { Id: 'sha256:x', Size: 1, Created: '' };
        throw Object.assign(new Error('no such image'), { statusCode: 404 });
      },
    }),
  }),
}));
import { ensureImage, NODE_IMAGE_ENV } from '../../src/runtime/images';
import { LabError } from '../../src/errors';

afterEach(() => {
  delete process.env[NODE_IMAGE_ENV];
  images.clear();
});

test('an existing image named by K8S_NETLAB_NODE_IMAGE is the one run', async () => {
  images.add('k8s-netlab/node:abc-dockerfile');
  process.env[NODE_IMAGE_ENV] = 'k8s-netlab/node:abc-dockerfile';
  await expect(ensureImage({ builder: 'debootstrap' })).resolves.toBe('k8s-netlab/node:abc-dockerfile');
});

test('a missing one is an error naming the variable, and nothing is built', async () => {
  process.env[NODE_IMAGE_ENV] = 'k8s-netlab/node:nope';
  const err = await ensureImage({ builder: 'debootstrap' }).catch((e) => e);
  expect(err).toBeInstanceOf(LabError);
  expect(err.message).toBe('K8S_NETLAB_NODE_IMAGE=k8s-netlab/node:nope: no such image');
});
