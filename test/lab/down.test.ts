import { downLab } from '../../src/lab/down';

const removed: string[][] = [];
let listed: Array<{ id: string; lab: string }> = [];
jest.mock('../../src/runtime/containers', () => ({
  listLabContainers: async (lab?: string) =>
    listed.map((c) => ({ ...c, name: c.id, role: 'node', state: 'running', labels: {}, asked: lab })),
  removeContainers: async (ids: string[]) => {
    removed.push(ids);
  },
}));

describe('lab down', () => {
  beforeEach(() => (removed.length = 0));
  it('removes only containers whose lab label equals the name', async () => {
    // Even if the engine's filter let others through, they stay.
    listed = [
      { id: 'a1', lab: 'a' },
      { id: 'ab1', lab: 'ab' },
      { id: 'a2', lab: 'a' },
    ];
    expect(await downLab('a')).toBe(2);
    expect(removed).toEqual([['a1', 'a2']]);
  });
  it('refuses an empty name instead of matching every lab', async () => {
    listed = [{ id: 'x', lab: 'x' }];
    await expect(downLab('')).rejects.toThrow(/needs a lab name/);
    expect(removed).toEqual([]);
  });
});
