import { ZoneParseError, parseRRLine, parseTtl, parseZone } from '../../src/dns/parse-zone';

const SAMPLE = `; RFC 1035 style sample
$ORIGIN Example.COM.
$TTL 1h
@   IN  SOA ns1 hostmaster (
            2024010101 ; serial
            7200 1800
            2w 300 )
    IN  NS  ns1
    IN  NS  ns2.other.net.
ns1     30  A   192.0.2.1
www     IN 60 CNAME @
_sip._udp 100 IN SRV 10 60 5060 sip ; comment "with quote
txt     TXT "v=spf1 -all" "second; part" plain
sub.deep A 192.0.2.9
        AAAA 2001:DB8::1
$ORIGIN 2.0.192.in-addr.arpa.
1   PTR ns1.example.com.
`;

describe('parseZone', () => {
  const { records, origin } = parseZone(SAMPLE);
  const line = (i: number) => `${records[i].name} ${records[i].ttl} ${records[i].type} ${records[i].data}`;

  it('handles $ORIGIN, $TTL units, @, relative names, parentheses and comments', () => {
    expect(origin).toBe('2.0.192.in-addr.arpa.');
    expect(line(0)).toBe(
      'example.com. 3600 SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 1800 1209600 300',
    );
    expect(line(1)).toBe('example.com. 3600 NS ns1.example.com.');
    expect(line(2)).toBe('example.com. 3600 NS ns2.other.net.');
    expect(line(3)).toBe('ns1.example.com. 30 A 192.0.2.1');
    expect(line(4)).toBe('www.example.com. 60 CNAME example.com.');
    expect(line(5)).toBe('_sip._udp.example.com. 100 SRV 10 60 5060 sip.example.com.');
  });

  it('keeps TXT strings (quoted, with ; inside) and repeats the owner for indented lines', () => {
    expect(line(6)).toBe('txt.example.com. 3600 TXT "v=spf1 -all" "second; part" "plain"');
    expect(line(7)).toBe('sub.deep.example.com. 3600 A 192.0.2.9');
    expect(line(8)).toBe('sub.deep.example.com. 3600 AAAA 2001:db8::1');
    expect(line(9)).toBe('1.2.0.192.in-addr.arpa. 3600 PTR ns1.example.com.');
    expect(records).toHaveLength(10);
  });

  it.each([
    ['bad A', '$TTL 5\nx.example. A 10.0.0.300\n', /line 2: A: "10.0.0.300"/],
    ['unbalanced', '$TTL 5\nx.example. SOA a. b. ( 1 2 3 4 5\n', /unbalanced "\("/],
    ['no ttl', 'x.example. A 10.0.0.1\n', /no TTL/],
    ['no owner', '$TTL 5\n  A 10.0.0.1\n', /no previous owner/],
    ['SRV fields', '$TTL 5\nx.example. SRV 0 100 target.\n', /SRV needs 4/],
    ['bad type', '$TTL 5\nx.example. IN BOGUS 1\n', /expected a record type/],
    ['unterminated', '$TTL 5\nx.example. TXT "abc\n', /unterminated/],
    ['include', '$INCLUDE other.zone\n', /\$INCLUDE/],
    ['class', '$TTL 5\nx.example. CH A 1.2.3.4\n', /class CH/],
  ])('reports %s with its line', (_, text, re) => {
    expect(() => parseZone(text)).toThrow(ZoneParseError);
    expect(() => parseZone(text)).toThrow(re);
  });

  it('parses one dig answer line', () => {
    expect(
      parseRRLine('_http._tcp.web.default.svc.cluster.local. 5 IN\tSRV\t0 100 80 web.default.svc.cluster.local.'),
    ).toEqual({
      name: '_http._tcp.web.default.svc.cluster.local.',
      ttl: 5,
      type: 'SRV',
      data: '0 100 80 web.default.svc.cluster.local.',
    });
  });

  it('parses TTL units', () => {
    expect(parseTtl('1h30m')).toBe(5400);
    expect(parseTtl('86400')).toBe(86400);
    expect(parseTtl('1x')).toBeUndefined();
  });
});
