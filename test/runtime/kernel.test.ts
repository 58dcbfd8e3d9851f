import { execFileSync } from 'child_process';
import {
  FEATURES,
  IMAGE_TOOLS,
  KernelFeatures,
  modeRequirements,
  parseProbeOutput,
  renderProbeScript,
} from '../../src/runtime/kernel';

function all(v: boolean): KernelFeatures {
  const f = { details: {} } as KernelFeatures;
  for (const k of FEATURES) f[k] = v;
  return f;
}

describe('parseProbeOutput', () => {
  const sample = [
    'veth=yes',
    'bridge=yes',
    'vxlan=yes',
    'dummy=no',
    'detail.dummy=Error: Unknown device type.',
    'nftables=yes',
    'iptablesNft=yes',
    'iptablesLegacy=yes',
    'ipvs=no',
    'detail.ipvs=no /proc/net/ip_vs (kernel lacks IP_VS)',
    'ipset=yes',
    'conntrack=yes',
    'tool.ip=yes',
    'tool.nginx=no',
    'detail.kernel=6.1.0-18-amd64',
    'garbage line',
    '',
  ].join('\n');

  test('reads features, details and tools', () => {
    const { features, tools } = parseProbeOutput(sample);
    expect(features.veth).toBe(true);
    expect(features.dummy).toBe(false);
    expect(features.ipvs).toBe(false);
    expect(features.iptablesNft).toBe(true);
    expect(features.details.dummy).toBe('Error: Unknown device type.');
    expect(features.details.kernel).toBe('6.1.0-18-amd64');
    expect(tools).toEqual({ ip: true, nginx: false });
    expect(FEATURES.filter((f) => !features[f])).toEqual(['dummy', 'ipvs']);
  });

  test('a feature missing from the output counts as unavailable, with a reason', () => {
    const { features } = parseProbeOutput('veth=yes\r\nbridge=yes\r\n');
    expect(features.veth).toBe(true);
    expect(features.bridge).toBe(true);
    expect(features.vxlan).toBe(false);
    expect(features.details.vxlan).toMatch(/not reported/);
    expect(features.details.veth).toBeUndefined();
  });

  test('detail values may contain "="', () => {
    expect(parseProbeOutput('detail.nftables=a=b').features.details.nftables).toBe('a=b');
  });
});

describe('modeRequirements', () => {
  test('everything works when every feature is there', () => {
    expect(modeRequirements(all(true)).every((m) => m.ok && m.missing.length === 0)).toBe(true);
  });

  test('ipvs and dummy missing: only the ipvs proxy mode fails, naming both', () => {
    const f = all(true);
    f.ipvs = false;
    f.dummy = false;
    const r = modeRequirements(f);
    const bad = r.filter((m) => !m.ok);
    expect(bad).toEqual([{ mode: 'proxy ipvs', ok: false, missing: ['ipvs', 'dummy'] }]);
  });

  test('vxlan missing breaks only the vxlan CNI', () => {
    const f = all(true);
    f.vxlan = false;
    expect(
      modeRequirements(f)
        .filter((m) => !m.ok)
        .map((m) => m.mode),
    ).toEqual(['cni vxlan']);
  });

  test('no bridge: every CNI mode but vpc-native fails', () => {
    const f = all(true);
    f.bridge = false;
    const bad = modeRequirements(f)
      .filter((m) => !m.ok)
      .map((m) => m.mode);
    expect(bad).toEqual(['cni vpc-routes', 'cni host-gw', 'cni vxlan']);
  });

  test('iptables backends are judged separately', () => {
    const f = all(true);
    f.iptablesLegacy = false;
    const r = modeRequirements(f);
    expect(r.find((m) => m.mode === 'proxy iptables (nft)')!.ok).toBe(true);
    expect(r.find((m) => m.mode === 'proxy iptables (legacy)')!.missing).toEqual(['iptablesLegacy']);
  });
});

describe('renderProbeScript', () => {
  const script = renderProbeScript();
  test('is valid sh and tests every feature and tool', () => {
    execFileSync('sh', ['-n'], { input: script });
    for (const f of FEATURES) expect(script).toMatch(new RegExp(`^t ${f} '`, 'm'));
    for (const t of Object.keys(IMAGE_TOOLS)) expect(script).toContain(`tool ${t} '`);
  });

  test('without tools (lab up preflight) tests every feature and no tool', () => {
    const features = renderProbeScript({ tools: false });
    execFileSync('sh', ['-n'], { input: features });
    for (const f of FEATURES) expect(features).toMatch(new RegExp(`^t ${f} '`, 'm'));
    expect(features).not.toMatch(/^tool /m);
  });

  test('its output format round-trips through the parser (run with stub commands in sh)', () => {
    // Replace the real tests by true/false so sh can run it here without touching the host.
    const stubbed = script
      .replace(
        /^t (\w+) '.*'$/gm,
        (_m, k: string) => `t ${k} '${k === 'dummy' ? 'echo Unknown device type; false' : 'true'}'`,
      )
      .replace(/^tool (\S+) '.*'$/gm, (_m, k: string) => `tool ${k} '${k === 'nginx' ? 'false' : 'true'}'`);
    const out = execFileSync('sh', ['-c', stubbed]).toString();
    const { features, tools } = parseProbeOutput(out);
    expect(FEATURES.filter((f) => !features[f])).toEqual(['dummy']);
    expect(features.details.dummy).toBe('Unknown device type');
    expect(tools.nginx).toBe(false);
    expect(tools.ip).toBe(true);
    expect(features.details.kernel).toBeTruthy();
  });
});
