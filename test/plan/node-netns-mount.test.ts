/**
 * The node's /run/netns set up as `ip netns add` does, before any pod: run for real in a throwaway
 * mount namespace (unshare -m, a tmpfs on /run), then the container-pod attach's bind mount and a
 * process pod's `ip netns add`, in the order that raced. Each pod's namespace is mounted once.
 */
import { execFileSync } from 'child_process';
import { renderNodeBase } from '../../src/plan/node';
import { fixtureModel } from '../fixtures/model';

function netnsLine(): string {
  const m = fixtureModel();
  const line = renderNodeBase(m, m.nodes[0]).find((l) => l.includes('--make-rshared /run/netns'));
  expect(line).toBeDefined();
  return line!;
}

/** Mounts at /run/netns/<name> after: tmpfs on /run, `setup`, a container pod's bind, then `ip netns add b`. */
function mountsAfter(setup: string): number {
  const out = execFileSync('unshare', [
    '-m',
    '--propagation',
    'private',
    'sh',
    '-c',
    [
      'set -e',
      'mount -t tmpfs none /run',
      'mkdir -p /run/netns',
      setup,
      // The attach (src/plan/container-pod.ts): a namespace file bind-mounted under /run/netns.
      'unshare -n sleep 5 & pid=$!; sleep 0.2',
      ': > /run/netns/a && mount --bind /proc/$pid/ns/net /run/netns/a',
      // A process pod's sandbox, after it.
      'ip netns add b',
      "grep -c ' /run/netns/a ' /proc/self/mountinfo",
      'ip netns del b; umount /run/netns/a; kill $pid',
    ].join('\n'),
  ]);
  return Number(out.toString().trim());
}

describe("the node's /run/netns", () => {
  it('is shared before any pod: a container pod attached before the first ip netns add is mounted once', () => {
    expect(mountsAfter(netnsLine())).toBe(1);
  });
  it('left to the first ip netns add, the same order mounts it twice (what the line prevents)', () => {
    expect(mountsAfter('true')).toBe(2);
  });
});
