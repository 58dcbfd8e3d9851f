import { renderNeighFlush } from '../../src/plan/neigh';

describe('renderNeighFlush', () => {
  it('flushes each address in the node and in every pod namespace', () => {
    const s = renderNeighFlush(['10.244.0.4', '10.244.1.5']);
    expect(s).toContain('ip neigh flush to 10.244.0.4');
    expect(s).toContain('ip -n "$ns" neigh flush to 10.244.1.5');
    expect(s).toMatch(/for ns in \$\(ip netns list/);
  });
});
