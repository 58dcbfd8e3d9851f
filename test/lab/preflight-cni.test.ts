import { checkFeatures, requirements } from '../../src/lab/preflight';
import { InputError } from '../../src/errors';
import type { KernelFeatures } from '../../src/runtime/kernel';
import { fixtureModel } from '../fixtures/model';

const kernel: KernelFeatures = {
  veth: true,
  bridge: true,
  vxlan: false,
  dummy: true,
  nftables: true,
  iptablesNft: true,
  iptablesLegacy: true,
  ipvs: true,
  ipset: true,
  conntrack: true,
  details: {},
};

describe('preflight for the pod network modes', () => {
  it('refuses vxlan on a kernel without VXLAN: exit 2, names the feature and the modes that work', () => {
    let err: unknown;
    try {
      checkFeatures(fixtureModel({ cni: 'vxlan' }), kernel);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect((err as InputError).message).toMatch(/cluster\.cni: vxlan mode needs VXLAN links \(CONFIG_VXLAN\)/);
    expect((err as InputError).hint).toMatch(/host-gw or vpc-routes/);
  });
  it.each(['vpc-routes', 'host-gw', 'vpc-native'] as const)('%s needs no VXLAN', (cni) => {
    expect(() => checkFeatures(fixtureModel({ cni }), kernel)).not.toThrow();
    expect(requirements(fixtureModel({ cni })).flatMap((r) => r.needs.map((n) => n.feature))).not.toContain('vxlan');
  });
});
