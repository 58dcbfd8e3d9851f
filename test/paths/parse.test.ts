import { parseIfaceAddr, parseLearnedMacs, parseRouteGet } from '../../src/paths/common/parse';
import { hostOf, parseCurl } from '../../src/observe/curl';
import { parsePing } from '../../src/observe/ping';
import { parseNodeToPod, renderNodeToPodScript } from '../../src/paths/node-to-pod/probes';

describe('parsers of what the tools print', () => {
  it('reads ping replies, TTLs and loss', () => {
    const out = `PING 10.244.1.2 (10.244.1.2) 56(84) bytes of data.
64 bytes from 10.244.1.2: icmp_seq=1 ttl=61 time=0.101 ms
64 bytes from 10.244.1.2: icmp_seq=2 ttl=61 time=0.090 ms

--- 10.244.1.2 ping statistics ---
3 packets transmitted, 2 received, 33.3333% packet loss, time 401ms
rtt min/avg/max/mdev = 0.090/0.095/0.101/0.005 ms`;
    const p = parsePing(out);
    expect(p).toMatchObject({ transmitted: 3, received: 2, ttls: [61, 61], from: ['10.244.1.2'], rttAvgMs: 0.095 });
  });
  it('reads a ping that was refused as too long', () => {
    const p = parsePing(
      'ping: local error: message too long, mtu=1450\n\n--- x ping statistics ---\n1 packets transmitted, 0 received, +1 errors, 100% packet loss',
    );
    expect(p.received).toBe(0);
    expect(p.error).toBe('message too long');
  });
  it('splits curl body from the write-out trailer', () => {
    const o = parseCurl('pod3\n__CURL__ 200 10.244.1.2:8080 10.244.0.2:41234', 0);
    expect(o).toEqual({ status: 200, body: 'pod3', remote: '10.244.1.2:8080', local: '10.244.0.2:41234', curlExit: 0 });
    expect(parseCurl('\n__CURL__ 000 : :', 7)).toMatchObject({ status: 0, curlExit: 7, remote: undefined });
  });
  it('reads addresses, routes and learned MACs', () => {
    expect(parseIfaceAddr('2: eth0    inet 10.244.0.2/24 scope global eth0')).toBe('10.244.0.2');
    expect(parseRouteGet('10.244.1.2 from 10.244.0.2 via 10.0.1.1 dev eth0 \n    cache iif cbr0')).toEqual({
      via: '10.0.1.1',
      dev: 'eth0',
      src: undefined,
    });
    expect(
      parseLearnedMacs('2a:39:2b:51:f6:94 dev veth1 master cbr0 \n33:33:00:00:00:01 dev cbr0 self permanent\n'),
    ).toEqual(['2a:39:2b:51:f6:94']);
    expect(hostOf('10.0.1.11:4000')).toBe('10.0.1.11');
  });
  it('reads the node-to-pod sweep, answered and not', () => {
    const s = renderNodeToPodScript([{ ip: '10.244.0.2', port: 8080 }]);
    expect(s).toContain('http://10.244.0.2:8080/clientip');
    const out = [
      '@@ 10.244.0.2 10.244.0.1',
      '10.244.0.1:5000',
      '__CURL__ 200 10.244.0.2:8080 10.244.0.1:5000',
      '@@x 0',
      '@@ 10.244.1.2 10.0.1.11',
      '',
      '__CURL__ 000 : :',
      '@@x 28',
      // An answer with an empty body: no client address was observed.
      '@@ 10.244.2.2 -',
      '',
      '__CURL__ 200 10.244.2.2:8080 10.0.1.12:5000',
      '@@x 0',
      // Timed out once, answered the second time: an answer, marked retried.
      '@@ 10.244.3.2 10.0.1.11',
      '@@r',
      '10.0.1.11:5001',
      '__CURL__ 200 10.244.3.2:8080 10.0.1.11:5001',
      '@@x 0',
    ].join('\n');
    expect(parseNodeToPod(out)).toEqual([
      { podIp: '10.244.0.2', seen: '10.244.0.1', code: 200, src: '10.244.0.1', curlExit: 0, retried: false },
      { podIp: '10.244.1.2', seen: undefined, code: 0, src: '10.0.1.11', curlExit: 28, retried: false },
      { podIp: '10.244.2.2', seen: undefined, code: 200, src: undefined, curlExit: 0, retried: false },
      { podIp: '10.244.3.2', seen: '10.0.1.11', code: 200, src: '10.0.1.11', curlExit: 0, retried: true },
    ]);
  });
});
