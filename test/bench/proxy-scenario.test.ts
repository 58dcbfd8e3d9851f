import { computeEndpoints } from '../../src/proxy/endpoints';
import {
  type ModeRow,
  PROXY_CLEANUP,
  benchClusterIP,
  connectArgv,
  dropOneEndpoint,
  parseConnectTimes,
  proxyTable,
  referenceTable,
  scaleServices,
  shapeSentence,
} from '../../src/bench/proxy-scenario';
import { backend, model, node, service } from '../proxy/fixtures';

describe('scaled service set', () => {
  const lab = model(
    [node('n1', '192.168.0.2', '10.244.1.0/24')],
    [service('default', 'web', '172.30.0.5', [{ name: 'http', port: 80, targetPort: 8080 }])],
    [backend('default', 'web', 'a', 'n1', '10.244.1.2'), backend('default', 'web', 'b', 'n1', '10.244.1.3')],
  );

  it('allocates distinct ClusterIPs inside the service CIDR, past the reserved ones', () => {
    expect(benchClusterIP('172.30.0.0/16', 0)).toBe('172.30.0.16');
    expect(benchClusterIP('172.30.0.0/16', 240)).toBe('172.30.1.0');
    expect(benchClusterIP('172.30.0.0/16', 65518)).toBe('172.30.255.254');
    expect(() => benchClusterIP('172.30.0.0/16', 65519)).toThrow(/no room/); // broadcast
    expect(() => benchClusterIP('10.96.0.0/24', 300)).toThrow(/no room/);
  });

  it('gives N services that all select the same two pods', () => {
    const scaled = scaleServices(lab, lab.services[0], 300);
    expect(scaled.services).toHaveLength(300);
    expect(new Set(scaled.services.map((s) => s.clusterIP)).size).toBe(300);
    expect(scaled.services[299].name).toBe('s299');
    const slices = computeEndpoints(scaled);
    expect(slices).toHaveLength(300);
    for (const s of slices) expect(s.endpoints.map((e) => e.ip)).toEqual(['10.244.1.2', '10.244.1.3']);
    expect(lab.services).toHaveLength(1); // the input is not changed
  });

  it('drops exactly one endpoint of one service', () => {
    const slices = computeEndpoints(scaleServices(lab, lab.services[0], 3));
    const changed = dropOneEndpoint(slices, 's1');
    expect(changed.map((s) => s.endpoints.length)).toEqual([2, 1, 2]);
    expect(slices[1].endpoints).toHaveLength(2);
    expect(() => dropOneEndpoint(changed, 's1')).toThrow(/two endpoints/);
    expect(() => dropOneEndpoint(slices, 'nope')).toThrow();
  });
});

describe('connect client', () => {
  it('runs python3 in the pod netns with the count and targets', () => {
    const argv = connectArgv('client', 1000, ['10.96.0.16:80']);
    expect(argv.slice(0, 5)).toEqual(['ip', 'netns', 'exec', 'client', 'python3']);
    expect(argv.slice(-2)).toEqual(['1000', '10.96.0.16:80']);
    expect(argv[6]).toContain('perf_counter_ns');
    expect(argv[6]).toContain('SO_LINGER');
  });

  it('parses ns samples into ms and refuses short or bad output', () => {
    expect(parseConnectTimes('25000 30000 1250000\n', 3)).toEqual([0.025, 0.03, 1.25]);
    expect(() => parseConnectTimes('25000 30000', 3)).toThrow(/expected 3/);
    expect(() => parseConnectTimes('25000 x 1', 3)).toThrow();
    expect(() => parseConnectTimes('', 1)).toThrow();
  });
});

it('cleanup removes every mode and never fails', () => {
  for (const s of [
    'nft delete table ip kube-proxy',
    'iptables-nft -w -t nat -F',
    'iptables-legacy -w -t filter -X',
    'ipvsadm -C',
    'ip link del kube-ipvs0',
  ]) {
    expect(PROXY_CLEANUP).toContain(s);
  }
  expect(PROXY_CLEANUP.trim().endsWith('true')).toBe(true);
});

describe('report', () => {
  const flat = (p50: number) => Array.from({ length: 100 }, (_, i) => p50 + i / 100000);
  const row = (mode: string, services: number, vipP50: number): ModeRow => ({
    mode,
    services,
    fullRenderMs: 10,
    fullApplyMs: 2500,
    incRenderMs: 5,
    incApplyMs: 120,
    vip: flat(vipP50),
    direct: flat(0.02),
  });

  it('renders the table with unavailable modes', () => {
    const t = proxyTable([row('nftables', 10000, 0.03), { mode: 'ipvs', services: 10000, unavailable: 'no ip_vs' }]);
    expect(t).toContain('| nftables | 10,000 | 10 ms + 2.50 s | 5 ms + 120 ms | 0.030 |');
    expect(t).toContain('| ipvs | 10,000 | not available: no ip_vs |');
    expect(referenceTable()).toContain('| iptables | 30,000 | 0.272 | 0.713 |');
    expect(referenceTable()).toContain('| nftables | 5,000 | 0.012 | 0.035 |');
  });

  it('judges the shape from the measured overheads', () => {
    const grows = [row('ipt', 100, 0.03), row('ipt', 10000, 0.3), row('nft', 100, 0.03), row('nft', 10000, 0.032)];
    expect(shapeSentence(grows, 'ipt', 'nft', 0.02)).toMatch(
      /^The lab reproduces the published shape: .*\+0\.010 ms at 100 .*\+0\.280 ms at 10,000/,
    );
    const both = [row('ipt', 100, 0.03), row('ipt', 10000, 0.031), row('nft', 100, 0.03), row('nft', 10000, 0.031)];
    expect(shapeSentence(both, 'ipt', 'nft', 0.02)).toMatch(/^The lab reproduces the shape only in part/);
    const neither = [row('ipt', 100, 0.3), row('ipt', 10000, 0.03), row('nft', 100, 0.03), row('nft', 10000, 0.3)];
    expect(shapeSentence(neither, 'ipt', 'nft', 0.02)).toMatch(/^The lab does not reproduce/);
    expect(shapeSentence([row('ipt', 100, 0.03)], 'ipt', 'nft', 0.02)).toMatch(/Too few sizes/);
    expect(shapeSentence(grows.slice(0, 3), 'ipt', 'nft', 0.02)).toMatch(/cannot be judged/);
  });
});
