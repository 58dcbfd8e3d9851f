import { computeEndpoints } from '../../src/proxy/endpoints';
import { PROXY_DIR, renderProxyPlan } from '../../src/proxy/plan';
import { renderIptablesBootstrap } from '../../src/proxy/iptables-bootstrap';
import { backend, model, node, service } from './fixtures';

const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24')];
const web = service('default', 'web', '10.96.0.20', [{ port: 80 }]);
const api = service('default', 'api', '10.96.0.21', [{ port: 443 }]);
const pods = [backend('default', 'web', 'w1', 'n1', '10.244.1.5'), backend('default', 'api', 'a1', 'n1', '10.244.1.6')];

describe('renderProxyPlan', () => {
  it('iptables: writes the rules file, restores with the cluster backend, then ensures jumps', () => {
    const lab = model(nodes, [web], pods, '10.244.0.0/16');
    lab.cluster.iptablesBackend = 'legacy';
    const plan = renderProxyPlan(lab, 'n1', computeEndpoints(lab), 'iptables');
    const file = `${PROXY_DIR}/iptables.rules`;
    expect(Object.keys(plan.files)).toEqual([file]);
    expect(plan.files[file]).toContain('*nat');
    const restoreAt = plan.commands.indexOf(`iptables-legacy-restore -w --noflush ${file}`);
    expect(restoreAt).toBeGreaterThan(-1);
    expect(plan.commands.slice(restoreAt + 1)).toEqual(renderIptablesBootstrap('legacy'));
    expect(plan.commands.some((c) => c.includes('iptables-nft'))).toBe(false);
    // localhost NodePorts (kube-proxy's iptables default) need route_localnet before the restore
    expect(plan.commands.indexOf('sysctl -qw net.ipv4.conf.all.route_localnet=1')).toBeGreaterThan(-1);
    expect(plan.commands.indexOf('sysctl -qw net.ipv4.conf.all.route_localnet=1')).toBeLessThan(restoreAt);
    expect(
      renderProxyPlan(lab, 'n1', computeEndpoints(lab), 'iptables', undefined, {
        localhostNodePorts: false,
      }).commands.join('\n'),
    ).not.toContain('route_localnet');
    expect(renderProxyPlan(lab, 'n1', computeEndpoints(lab), 'nftables').commands.join('\n')).not.toContain(
      'route_localnet',
    );
    expect(plan.partial).toBe(false);
    expect(plan.state.iptables).toBeDefined();
    // JSON-safe state, usable as prev after a round trip
    const prev = JSON.parse(JSON.stringify(plan.state));
    const lab2 = model(nodes, [web, api], pods, '10.244.0.0/16');
    lab2.cluster.iptablesBackend = 'legacy';
    const second = renderProxyPlan(lab2, 'n1', computeEndpoints(lab2), 'iptables', prev);
    expect(second.partial).toBe(true);
    const text = second.files[file];
    expect(text).toContain('default/api');
    const webSvc = Object.keys(plan.state.iptables!.nat).find((c) => c.startsWith('KUBE-SVC-'))!;
    expect(text).not.toContain(`:${webSvc} `); // unchanged service chain left alone
    expect(text).toContain(`-j ${webSvc}`); // but still captured in KUBE-SERVICES
  });

  it('nftables: one nft -f; nothing to run when nothing changed', () => {
    const lab = model(nodes, [web], pods, '10.244.0.0/16');
    const eps = computeEndpoints(lab);
    const full = renderProxyPlan(lab, 'n1', eps, 'nftables');
    expect(full.commands[full.commands.length - 1]).toBe(`nft -f ${PROXY_DIR}/nftables.nft`);
    expect(full.files[`${PROXY_DIR}/nftables.nft`]).toMatch(/^add table ip kube-proxy\ndelete table ip kube-proxy\n/);
    const again = renderProxyPlan(lab, 'n1', eps, 'nftables', full.state);
    expect(again.partial).toBe(true);
    expect(again.files).toEqual({});
    expect(again.commands.some((c) => c.startsWith('nft '))).toBe(false);
    // a previous state of another mode forces a full sync
    expect(renderProxyPlan(lab, 'n1', eps, 'nftables', { mode: 'iptables' }).partial).toBe(false);
  });

  it('ipvs: preflight, sysctls, ipsets before iptables, ipvsadm-restore, then kube-ipvs0 addresses', () => {
    const lab = model(nodes, [web], pods, '10.244.0.0/16');
    const plan = renderProxyPlan(lab, 'n1', computeEndpoints(lab), 'ipvs', undefined, { scheduler: 'wrr' });
    expect(Object.keys(plan.files).sort()).toEqual([
      `${PROXY_DIR}/ipset.restore`,
      `${PROXY_DIR}/iptables.rules`,
      `${PROXY_DIR}/ipvs.rules`,
    ]);
    expect(plan.files[`${PROXY_DIR}/ipvs.rules`]).toContain('-A -t 10.96.0.20:80 -s wrr');
    const at = (p: string) => plan.commands.findIndex((c) => c.startsWith(p));
    expect(at('ipvsadm -Ln')).toBe(0);
    expect(plan.commands).toContain('sysctl -qw net.ipv4.vs.conntrack=1');
    expect(at('ipset restore')).toBeLessThan(at('iptables-nft-restore'));
    expect(at('iptables-nft-restore')).toBeLessThan(at('ipvsadm-restore'));
    expect(at('ipvsadm-restore')).toBeLessThan(at('ip addr replace 10.96.0.20/32 dev kube-ipvs0'));
    expect(plan.state.ipvsAddresses).toEqual(['10.96.0.20']);
  });

  it('defaults the mode to cluster.proxy', () => {
    const lab = model(nodes, [web], pods, '10.244.0.0/16');
    lab.cluster.proxy = 'nftables';
    expect(renderProxyPlan(lab, 'n1', computeEndpoints(lab)).state.mode).toBe('nftables');
  });
});
