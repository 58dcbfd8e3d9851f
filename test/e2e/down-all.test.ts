/**
 * Two labs side by side, then `lab down --all` removes every lab on the engine: so this file runs
 * alone, after the others (scripts/test-e2e.sh), never beside another checkout's tests.
 */
import { GUIDE, lab, labContainers, labName } from './helpers';

jest.setTimeout(600_000);

describe('labs side by side', () => {
  it('runs two labs under different names and removes both with --all', async () => {
    const [a, b] = await Promise.all([
      lab(['up', '-t', GUIDE, '--name', labName('e2e-side-a'), '--no-verify']),
      lab(['up', '-t', GUIDE, '--name', labName('e2e-side-b'), '--no-verify']),
    ]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    const v = await lab(['verify', '--name', labName('e2e-side-b'), '--path', 'pod-to-pod-cross-node', '--json']);
    expect(JSON.parse(v.stdout).ok).toBe(true);
    const down = await lab(['down', '--all']);
    expect(down.exitCode).toBe(0);
    expect(await labContainers(labName('e2e-side-a'))).toEqual([]);
    expect(await labContainers(labName('e2e-side-b'))).toEqual([]);
  });
});
