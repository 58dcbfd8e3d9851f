/**
 * Render cost at 10,000 services x 2 endpoints on a 2-node lab, per mode (printed as figures),
 * plus the size of a partial / incremental sync after one endpoint changes.
 */
import { computeEndpoints } from '../../src/proxy/endpoints';
import { buildIptablesRuleset } from '../../src/proxy/iptables';
import { renderIptablesPartial, serializeIptables } from '../../src/proxy/iptables-restore';
import { renderIpvs } from '../../src/proxy/ipvs';
import { buildNftState } from '../../src/proxy/nftables';
import { renderNftablesIncremental, serializeNft } from '../../src/proxy/nftables-text';
import { backend, model, node, service } from './fixtures';

const N = 10_000;

function bigLab(shift = 0) {
  const nodes = [node('n1', '192.168.0.2', '10.244.0.0/17'), node('n2', '192.168.0.3', '10.244.128.0/17')];
  const services = [];
  const pods = [];
  for (let i = 0; i < N; i++) {
    const ip = (base: number) => `10.${96 + (base >> 16)}.${(base >> 8) & 255}.${base & 255}`;
    services.push(service('default', `s${i}`, ip(i + 1), [{ name: 'http', port: 80, targetPort: 8080 }]));
    const podIp = (k: number) => `10.244.${(k >> 8) & 255}.${k & 255}`;
    pods.push(backend('default', `s${i}`, `s${i}-a`, 'n1', podIp(2 * i + 2)));
    pods.push(backend('default', `s${i}`, `s${i}-b`, 'n2', podIp(32768 + 2 * i + 2 + (i === 0 ? shift : 0))));
  }
  return model(nodes, services, pods, '10.244.0.0/16');
}

function time<T>(f: () => T): [T, number] {
  const t = process.hrtime.bigint();
  const v = f();
  return [v, Number(process.hrtime.bigint() - t) / 1e6];
}

describe(`scale: ${N} services x 2 endpoints`, () => {
  jest.setTimeout(120_000);
  const lab = bigLab();
  const [eps, epMs] = time(() => computeEndpoints(lab));
  const lab2 = bigLab(1); // s0's second endpoint moves
  const eps2 = computeEndpoints(lab2);
  const figures: string[] = [`computeEndpoints: ${epMs.toFixed(0)} ms`];

  afterAll(() => {
    console.log(figures.join('\n'));
  });

  it('iptables', () => {
    const [rs, buildMs] = time(() => buildIptablesRuleset(lab, 'n1', eps));
    const [text, serMs] = time(() => serializeIptables(rs));
    const next = buildIptablesRuleset(lab2, 'n1', eps2);
    const [partial, pMs] = time(() => renderIptablesPartial(rs, next));
    figures.push(
      `iptables full: ${(buildMs + serMs).toFixed(0)} ms, ${text.split('\n').length} lines, ${(text.length / 1e6).toFixed(1)} MB; ` +
        `partial after one endpoint change: ${pMs.toFixed(0)} ms, ${partial.split('\n').length} lines`,
    );
    expect(Object.keys(rs.nat).filter((c) => c.startsWith('KUBE-SEP-'))).toHaveLength(2 * N);
    // only s0's SVC chain and its new SEP chain, plus the always-rewritten top-level chains
    expect(partial.split('\n').filter((l) => /^:KUBE-(SVC|SEP)-/.test(l))).toHaveLength(3); // + stale SEP
    expect(partial.length).toBeLessThan(text.length / 2);
    // iptables-nft's chain list: the full restore asks for every chain (-Z); the endpoint change
    // leaves KUBE-SERVICES alone, so the partial one stays a few lines
    expect(text.split('*nat\n')[1].startsWith('-Z\n')).toBe(true);
    expect(partial.split('*nat\n')[1]).not.toContain(':KUBE-SERVICES ');
    expect(partial.split('\n').length).toBeLessThan(50);
  });

  it('nftables', () => {
    const [st, buildMs] = time(() => buildNftState(lab, 'n1', eps));
    const [text, serMs] = time(() => serializeNft(st));
    const next = buildNftState(lab2, 'n1', eps2);
    const [inc, iMs] = time(() => renderNftablesIncremental(st, next));
    figures.push(
      `nftables full: ${(buildMs + serMs).toFixed(0)} ms, ${text.split('\n').length} lines, ${(text.length / 1e6).toFixed(1)} MB; ` +
        `incremental after one endpoint change: ${iMs.toFixed(0)} ms, ${inc.trim().split('\n').length} lines`,
    );
    expect(inc.trim().split('\n').length).toBeLessThan(10);
    // no anonymous vmaps at this size: the kernel binds each one in time linear in the transaction
    expect(text).not.toContain('vmap {');
    expect(text.match(/ numgen random mod 2 == 0 goto endpoint-/g)).toHaveLength(N);
  });

  it('ipvs', () => {
    const [r, ms] = time(() => renderIpvs(lab, 'n1', eps));
    figures.push(
      `ipvs full: ${ms.toFixed(0)} ms, ipvsadm ${r.ipvsadm.split('\n').length} lines, ipset ${r.ipset.split('\n').length} lines, ` +
        `${r.iptables.split('\n').filter((l) => l.startsWith('-A')).length} iptables rules, ${r.addresses.length} kube-ipvs0 addresses`,
    );
    expect(r.addresses).toHaveLength(N);
  });
});
