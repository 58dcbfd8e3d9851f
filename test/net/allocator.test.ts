import { NODE_PORT_BAND, RangeAllocator, SERVICE_IP_BAND, staticBandSize } from '../../src/net/allocator';

describe('RangeAllocator', () => {
  it('computes Kubernetes static band sizes', () => {
    expect(staticBandSize(65534, SERVICE_IP_BAND)).toBe(256); // /16 -> min(max(16, 4095), 256)
    expect(staticBandSize(254, SERVICE_IP_BAND)).toBe(16); // /24
    expect(staticBandSize(14, SERVICE_IP_BAND)).toBe(0); // /28: smaller than 16, no band
    expect(staticBandSize(2768, NODE_PORT_BAND)).toBe(86); // 30000-32767
  });
  it('allocates dynamic values in the upper band, deterministically per key', () => {
    const a = new RangeAllocator(30000, 32767, NODE_PORT_BAND);
    const b = new RangeAllocator(30000, 32767, NODE_PORT_BAND);
    const x = a.allocateNext('default/web/http')!;
    expect(x).toBeGreaterThanOrEqual(30086);
    expect(x).toBeLessThanOrEqual(32767);
    expect(b.allocateNext('default/web/http')).toBe(x);
    // A key hashing to a taken value probes to the next free one.
    const c = new RangeAllocator(30000, 32767, NODE_PORT_BAND);
    expect(c.allocateFixed(x)).toBe('ok');
    expect(c.allocateNext('default/web/http')).not.toBe(x);
  });
  it('reports fixed values out of range or taken', () => {
    const a = new RangeAllocator(30000, 32767, NODE_PORT_BAND);
    expect(a.allocateFixed(40000)).toBe('out-of-range');
    expect(a.allocateFixed(30080)).toBe('ok');
    expect(a.allocateFixed(30080)).toBe('allocated');
  });
  it('falls back to the static band, then runs out', () => {
    const a = new RangeAllocator(1, 20, { min: 16, max: 256, step: 16 }); // 20 values, band 16
    const got = new Set<number>();
    for (let i = 0; i < 20; i++) got.add(a.allocateNext(`k${i}`)!);
    expect(got.size).toBe(20);
    expect(a.allocateNext('one-more')).toBeUndefined();
  });
});
