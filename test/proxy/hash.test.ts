import {
  base32,
  nftEndpointChainBase,
  nftHashAndTruncate,
  nftServiceChainBase,
  portProtoHash,
  servicePortChainName,
  servicePortEndpointChainName,
} from '../../src/proxy/hash';

// Expected names are the literals in kube-proxy's own tests (pkg/proxy/iptables/proxier_test.go
// TestOverallIPTablesRules, pkg/proxy/nftables/proxier_test.go TestOverallNFTablesRules).
describe('iptables chain names (portProtoHash)', () => {
  it.each([
    ['KUBE-SVC-', 'ns1/svc1:p80', 'KUBE-SVC-XPGD46QRK7WJZT7O'],
    ['KUBE-SVC-', 'ns2/svc2:p80', 'KUBE-SVC-GNZBNJ2PO5MGZ6GT'],
    ['KUBE-EXT-', 'ns3/svc3:p80', 'KUBE-EXT-X27LE4BHSL4DOUIK'],
    ['KUBE-EXT-', 'ns4/svc4:p80', 'KUBE-EXT-4SW47YFZTEDKD3PK'],
    ['KUBE-FW-', 'ns5/svc5:p80', 'KUBE-FW-NUKIZ6OKUXPJNT4C'],
  ])('%s%s', (prefix, spn, want) => {
    expect(servicePortChainName(prefix, spn, 'tcp')).toBe(want);
  });

  it('lower-cases the protocol as kube-proxy does', () => {
    expect(servicePortChainName('KUBE-SVC-', 'ns1/svc1:p80', 'TCP')).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(portProtoHash('ns1/svc1:p80', 'udp')).not.toBe(portProtoHash('ns1/svc1:p80', 'tcp'));
  });

  it.each([
    ['ns1/svc1:p80', '10.180.0.1:80', 'KUBE-SEP-SXIVWICOYRO3J4NJ'],
    ['ns2/svc2:p80', '10.180.0.2:80', 'KUBE-SEP-RS4RBKLTHTF2IUXJ'],
    ['ns3/svc3:p80', '10.180.0.3:80', 'KUBE-SEP-OYPFS5VJICHGATKP'],
    ['ns4/svc4:p80', '10.180.0.4:80', 'KUBE-SEP-UKSFD7AGPMPPLUHC'],
    ['ns4/svc4:p80', '10.180.0.5:80', 'KUBE-SEP-C6EBXVWJJZMIWKLZ'],
    ['ns5/svc5:p80', '10.180.0.3:80', 'KUBE-SEP-I77PXRDZVX7PMWMN'],
  ])('endpoint chain of %s -> %s', (spn, ep, want) => {
    expect(servicePortEndpointChainName(spn, 'tcp', ep)).toBe(want);
  });

  it('names fit iptables 28-character chain limit', () => {
    expect(servicePortChainName('KUBE-SVC-', 'a-very-long-namespace/a-very-long-service:port', 'tcp')).toHaveLength(25);
  });
});

describe('nftables chain names (hashAndTruncate)', () => {
  it.each([
    ['ns1', 'svc1', 'ULMVA6XW-ns1/svc1/tcp/p80'],
    ['ns2', 'svc2', '42NFTM6N-ns2/svc2/tcp/p80'],
    ['ns3', 'svc3', '4AT6LBPK-ns3/svc3/tcp/p80'],
    ['ns4', 'svc4', 'LAUZTJTB-ns4/svc4/tcp/p80'],
    ['ns5', 'svc5', 'HVFWP5L3-ns5/svc5/tcp/p80'],
  ])('service %s/%s', (ns, svc, want) => {
    expect(nftServiceChainBase(ns, svc, 'TCP', 'p80')).toBe(want);
  });

  it.each([
    ['ns1', 'svc1', '10.180.0.1', '5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80'],
    ['ns4', 'svc4', '10.180.0.4', 'UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80'],
    ['ns4', 'svc4', '10.180.0.5', '5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80'],
    ['ns5', 'svc5', '10.180.0.3', 'GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80'],
  ])('endpoint %s/%s %s', (ns, svc, ip, want) => {
    expect(nftEndpointChainBase(ns, svc, 'tcp', 'p80', ip, 80)).toBe(want);
  });

  it('truncates over-long names with "..."', () => {
    const long = nftHashAndTruncate('x'.repeat(300));
    expect(long).toHaveLength(112);
    expect(long.endsWith('...')).toBe(true);
  });
});

describe('base32', () => {
  // RFC 4648 section 10 test vectors.
  it.each([
    ['', ''],
    ['f', 'MY======'],
    ['fo', 'MZXQ===='],
    ['foo', 'MZXW6==='],
    ['foob', 'MZXW6YQ='],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI======'],
  ])('%j', (input, want) => {
    expect(base32(Buffer.from(input))).toBe(want);
  });
});
