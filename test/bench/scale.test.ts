import { growth, parseProbeCount } from '../../src/bench/scale';

describe('bench scale', () => {
  it("reads verify's count, whether all passed or some failed", () => {
    expect(parseProbeCount('…\nlab x: all 304 probes passed (73 s)')).toEqual({ passed: 304, total: 304 });
    expect(parseProbeCount('lab x: 1113 of 1156 probes passed')).toEqual({ passed: 1113, total: 1156 });
    expect(parseProbeCount('lab verify failed: no model')).toBeUndefined();
  });
  it('names the growth from the exponent of y ~ x^b', () => {
    expect(growth(100, 1000, 10, 100)).toBe('×10.0 (b = 1.00, linear)');
    expect(growth(100, 1000, 10, 1000)).toBe('×100.0 (b = 2.00, worse than linear)');
    expect(growth(100, 1000, 10, 20)).toBe('×2.0 (b = 0.30, sublinear)');
    expect(growth(100, 1000, 0, 20)).toBe('–');
  });
});
