import {
  cniArgs,
  cniNetwork,
  renderCniFiles,
  renderConflist,
  renderFlannelSubnetEnv,
  sandboxId,
} from '../../src/plan/cni-config';
import { parseCniChecks, parseCniResults, renderCniBatch, renderCniCheck, renderPodDelete } from '../../src/plan/pod';
import { cniBatches } from '../fixtures/cni';
import { recordCniResults } from '../../src/lab/cni';
import { fixtureModel } from '../fixtures/model';

describe('CNI network configuration (/etc/cni/net.d)', () => {
  it("vpc-routes and host-gw: kubenet's bridge on cbr0 with host-local on the node block, then portmap", () => {
    for (const cni of ['vpc-routes', 'host-gw'] as const) {
      const m = fixtureModel({ cni });
      const n = m.nodes[1];
      expect(cniNetwork(m)).toEqual({ name: 'kubenet', file: '/etc/cni/net.d/10-kubenet.conflist' });
      expect(renderConflist(m, n)).toEqual({
        cniVersion: '1.0.0',
        name: 'kubenet',
        plugins: [
          {
            type: 'bridge',
            bridge: 'cbr0',
            mtu: 1500,
            isGateway: true,
            ipMasq: false,
            hairpinMode: true,
            ipam: {
              type: 'host-local',
              ranges: [[{ subnet: n.podCIDR, gateway: n.cbr0IP }]],
              routes: [{ dst: '0.0.0.0/0' }],
            },
          },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      });
    }
  });
  it("vxlan: flannel's file and network name, its bridge delegate, and subnet.env", () => {
    const m = fixtureModel({ cni: 'vxlan' });
    const n = m.nodes[0];
    expect(cniNetwork(m)).toEqual({ name: 'cbr0', file: '/etc/cni/net.d/10-flannel.conflist' });
    const [bridge] = (renderConflist(m, n) as { plugins: unknown[] }).plugins;
    expect(bridge).toMatchObject({
      type: 'bridge',
      mtu: 1450,
      isDefaultGateway: true,
      ipMasq: false,
      hairpinMode: true,
      ipam: { ranges: [[{ subnet: n.podCIDR }]], routes: [{ dst: m.cluster.podCIDR, gw: n.cbr0IP }] },
    });
    expect(renderFlannelSubnetEnv(m, n)).toBe(
      `FLANNEL_NETWORK=${m.cluster.podCIDR}\nFLANNEL_SUBNET=${n.cbr0IP}/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`,
    );
    expect(renderCniFiles(m, n).map((f) => f.path)).toEqual([
      '/etc/cni/net.d/10-flannel.conflist',
      '/etc/cni/net.d/99-loopback.conf',
      '/run/flannel/subnet.env',
    ]);
  });
  it('writes the loopback network as the CRI runtimes and kubenet name it', () => {
    const m = fixtureModel();
    const lo = renderCniFiles(m, m.nodes[0]).find((f) => f.path.endsWith('99-loopback.conf'))!;
    expect(JSON.parse(lo.text)).toEqual({ cniVersion: '1.0.0', name: 'cni-loopback', type: 'loopback' });
  });
});

describe('CNI calls for a pod', () => {
  const m = fixtureModel();
  const pod = m.pods[0];
  it("passes the CRI runtime's CNI_ARGS and asks host-local for the model's address", () => {
    expect(cniArgs(m, pod)).toBe(
      `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${pod.name};K8S_POD_INFRA_CONTAINER_ID=${sandboxId(m, pod)};IP=${pod.ip}`,
    );
    expect(sandboxId(m, pod)).toMatch(/^[0-9a-f]{64}$/);
    expect(sandboxId(m, pod)).not.toBe(sandboxId(m, m.pods[1]));
    expect(sandboxId({ name: 'other' }, pod)).not.toBe(sandboxId(m, pod));
  });
  it('ADD, CHECK and DEL name the same sandbox, netns and interface', () => {
    const items = (['ADD', 'CHECK', 'DEL'] as const).flatMap((c) => cniBatches(renderCniBatch(m, c, [pod]))[0].items);
    for (const i of items) {
      expect(i.containerid).toBe(sandboxId(m, pod));
      expect(i.netns).toBe(`/run/netns/${pod.netns}`);
      expect(i.args).toBe(cniArgs(m, pod));
    }
    // DEL before the namespace goes, pod network before loopback (reverse of ADD).
    const del = renderPodDelete(m, pod);
    const [b] = cniBatches(del);
    expect(b.command).toBe('DEL');
    expect(b.items.map((i) => i.ifname)).toEqual(['eth0', 'lo']);
    expect(b.items.every((i) => i.containerid === sandboxId(m, pod))).toBe(true);
    expect(del.findIndex((l) => l.startsWith('ip netns del'))).toBeGreaterThan(b.index);
    const [c] = cniBatches(renderCniCheck(m, [pod]));
    expect(c.command).toBe('CHECK');
    expect(c.items.map((i) => i.ifname)).toEqual(['eth0']);
  });
  it("records the host veth the plugin named, and refuses an address other than the model's", () => {
    const out = `noise\ncni-result ${pod.netns} ip=${pod.ip}/24 host=veth1a2b3c4d\n`;
    const res = parseCniResults(out);
    expect(res).toEqual([{ netns: pod.netns, ip: pod.ip, hostVeth: 'veth1a2b3c4d' }]);
    expect(recordCniResults([pod], res)[0]).toEqual({ ...pod, hostVeth: 'veth1a2b3c4d' });
    expect(() => recordCniResults([pod], [{ ...res[0], ip: '10.244.0.99' }])).toThrow(
      /CNI ADD gave 10\.244\.0\.99, the model expected/,
    );
    expect(() => recordCniResults([pod], [])).toThrow(/no CNI ADD result/);
  });
  it("reads CHECK answers: ok, or fail with the plugin's error", () => {
    expect(
      parseCniChecks('cni-check pod1 ok\ncni-check pod2 fail cni-exec: CHECK bridge failed: route missing\njunk'),
    ).toEqual([
      { netns: 'pod1', ok: true },
      { netns: 'pod2', ok: false, error: 'cni-exec: CHECK bridge failed: route missing' },
    ]);
  });
});
