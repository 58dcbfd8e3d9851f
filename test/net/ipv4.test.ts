import {
  blockCount,
  broadcast,
  canonicalCidr,
  cidrContainsIp,
  cidrProblem,
  contains,
  containsCidr,
  firstHost,
  formatCidr,
  formatIp,
  hostCount,
  isHostOf,
  lastHost,
  nthAddress,
  nthBlock,
  overlaps,
  parseCidr,
  parseIp,
  splitBlocks,
} from '../../src/net/ipv4';

const c = (s: string) => {
  const r = parseCidr(s);
  if (!r) throw new Error(`bad cidr ${s}`);
  return r;
};

describe('ipv4 parse/format', () => {
  it('round-trips addresses', () => {
    for (const ip of ['0.0.0.0', '10.0.1.11', '255.255.255.255', '192.168.0.1'])
      expect(formatIp(parseIp(ip)!)).toBe(ip);
    expect(parseIp('10.0.1.11')).toBe(10 * 2 ** 24 + 1 * 256 + 11);
  });
  it('rejects malformed addresses', () => {
    for (const bad of ['10.0.1', '10.0.1.256', '10.0.01.1', 'a.b.c.d', '1.2.3.4.5', '', ' 1.2.3.4', '-1.2.3.4'])
      expect(parseIp(bad)).toBeUndefined();
  });
  it('parses network CIDRs and rejects host bits', () => {
    expect(formatCidr(c('10.244.0.0/16'))).toBe('10.244.0.0/16');
    expect(parseCidr('10.244.1.0/16')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
    expect(formatCidr(c('0.0.0.0/0'))).toBe('0.0.0.0/0');
  });
  it('explains CIDR problems and proposes the network address', () => {
    expect(cidrProblem('10.0.1.0/24')).toBeUndefined();
    expect(cidrProblem('10.244.1.0/16')).toEqual({
      message: expect.stringContaining('host bits'),
      fix: '10.244.0.0/16',
    });
    expect(cidrProblem('nope')?.message).toMatch(/not an IPv4 CIDR/);
    expect(canonicalCidr('10.0.1.7/24')).toBe('10.0.1.0/24');
  });
});

describe('ipv4 arithmetic', () => {
  it('computes broadcast, hosts and membership', () => {
    const n = c('10.0.1.0/24');
    expect(formatIp(broadcast(n))).toBe('10.0.1.255');
    expect(formatIp(firstHost(n))).toBe('10.0.1.1');
    expect(formatIp(lastHost(n))).toBe('10.0.1.254');
    expect(hostCount(n)).toBe(254);
    expect(contains(n, parseIp('10.0.1.255')!)).toBe(true);
    expect(isHostOf(n, parseIp('10.0.1.255')!)).toBe(false);
    expect(isHostOf(n, parseIp('10.0.1.0')!)).toBe(false);
    expect(contains(n, parseIp('10.0.2.0')!)).toBe(false);
    expect(formatIp(nthAddress(n, 10)!)).toBe('10.0.1.10');
    expect(nthAddress(n, 256)).toBeUndefined();
    expect(hostCount(c('10.0.0.0/31'))).toBe(2);
    expect(hostCount(c('10.0.0.1/32'))).toBe(1);
    expect(cidrContainsIp('10.96.0.0/16', '10.96.255.254')).toBe(true);
    expect(cidrContainsIp('10.96.0.0/16', '10.97.0.1')).toBe(false);
  });
  it('detects overlap and containment both ways', () => {
    expect(overlaps(c('10.244.0.0/16'), c('10.244.5.0/24'))).toBe(true);
    expect(overlaps(c('10.244.5.0/24'), c('10.244.0.0/16'))).toBe(true);
    expect(overlaps(c('10.0.1.0/24'), c('10.0.2.0/24'))).toBe(false);
    expect(overlaps(c('0.0.0.0/0'), c('192.168.1.0/24'))).toBe(true);
    expect(containsCidr(c('10.244.0.0/16'), c('10.244.5.0/24'))).toBe(true);
    expect(containsCidr(c('10.244.5.0/24'), c('10.244.0.0/16'))).toBe(false);
  });
  it('splits into blocks in order, like kind', () => {
    const p = c('10.244.0.0/16');
    expect(blockCount(p, 24)).toBe(256);
    expect(blockCount(p, 8)).toBe(0);
    expect(splitBlocks(p, 24, 3).map(formatCidr)).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);
    expect(formatCidr(nthBlock(p, 24, 255)!)).toBe('10.244.255.0/24');
    expect(nthBlock(p, 24, 256)).toBeUndefined();
    expect(splitBlocks(c('10.0.0.0/30'), 31).map(formatCidr)).toEqual(['10.0.0.0/31', '10.0.0.2/31']);
  });
  it('handles the top of the address space without sign errors', () => {
    const top = c('255.255.255.0/24');
    expect(formatIp(broadcast(top))).toBe('255.255.255.255');
    expect(formatIp(lastHost(top))).toBe('255.255.255.254');
    expect(contains(top, parseIp('255.255.255.255')!)).toBe(true);
  });
});
