import { HostLocalIpam } from '../../src/net/ipam';

describe('host-local IPAM', () => {
  it('gives cbr0 the first host and pods the next addresses in order', () => {
    const ipam = new HostLocalIpam('10.244.1.0/24');
    expect(ipam.gateway).toBe('10.244.1.1');
    expect([ipam.allocate(), ipam.allocate(), ipam.allocate()]).toEqual(['10.244.1.2', '10.244.1.3', '10.244.1.4']);
    expect(ipam.capacity).toBe(253);
  });
  it('skips reserved addresses; a released one comes back only after the range wraps', () => {
    const ipam = new HostLocalIpam('10.244.0.0/24');
    expect(ipam.reserve('10.244.0.2')).toBe(true);
    expect(ipam.reserve('10.244.0.2')).toBe(false);
    expect(ipam.reserve('10.244.0.1')).toBe(false); // cbr0
    expect(ipam.reserve('10.244.1.5')).toBe(false); // other block
    expect(ipam.allocate()).toBe('10.244.0.3');
    ipam.release('10.244.0.2');
    // host-local goes on after its last reserved address, not back to the lowest free one.
    expect(ipam.allocate()).toBe('10.244.0.4');
    expect(ipam.lastReserved).toBe('10.244.0.4');
  });
  it('continues after the cursor, wraps to rangeStart past the broadcast, skips the gateway (host-local RangeIter)', () => {
    // /29: .1 gateway, .2-.6 pods; the cursor (last_reserved_ip) is .5.
    const ipam = new HostLocalIpam('10.244.0.0/29', '10.244.0.5');
    ipam.reserve('10.244.0.6');
    ipam.reserve('10.244.0.3');
    expect(ipam.allocate()).toBe('10.244.0.2'); // .6 taken, wrap: .1 is the gateway
    expect(ipam.allocate()).toBe('10.244.0.4');
    expect(ipam.allocate()).toBe('10.244.0.5'); // the cursor's own address is tried last
    expect(ipam.allocate()).toBeUndefined();
  });
  it('ignores a cursor outside the range, as host-local does after the range changed', () => {
    const ipam = new HostLocalIpam('10.244.0.0/24', '10.9.9.9');
    expect(ipam.allocate()).toBe('10.244.0.2');
  });
  it('is exhausted after capacity pods (network, cbr0 and broadcast excluded)', () => {
    const ipam = new HostLocalIpam('10.244.0.0/29'); // .1 cbr0, .2-.6 pods, .7 broadcast
    const got: (string | undefined)[] = [];
    for (let i = 0; i < 6; i++) got.push(ipam.allocate());
    expect(got).toEqual(['10.244.0.2', '10.244.0.3', '10.244.0.4', '10.244.0.5', '10.244.0.6', undefined]);
    expect(ipam.capacity).toBe(5);
    expect(ipam.allocated).toBe(5);
  });
  it('refuses blocks too small for cbr0 and one pod', () => {
    expect(() => new HostLocalIpam('10.244.0.0/31')).toThrow(/\/30/);
    expect(() => new HostLocalIpam('10.244.0.1/24')).toThrow();
  });
});
