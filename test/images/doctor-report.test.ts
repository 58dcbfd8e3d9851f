import { DoctorReport, formatDoctorReport } from '../../src/images/doctor-report';
import { FEATURES, FEATURE_NEEDS, KernelFeatures, modeRequirements, parseProbeOutput } from '../../src/runtime/kernel';

const engine = { reachable: true, where: 'unix:///var/run/docker.sock', version: '20.10.24', apiVersion: '1.41' };

function features(missing: string[]): KernelFeatures {
  const lines = FEATURES.map((f) => `${f}=${missing.includes(f) ? 'no' : 'yes'}`);
  lines.push('detail.dummy=Error: Unknown device type.', 'detail.kernel=6.1.0');
  return parseProbeOutput(lines.join('\n')).features;
}

test('unreachable engine: says where and how to fix, nothing else', () => {
  const r: DoctorReport = {
    engine: { reachable: false, where: 'tcp://10.0.0.5:2375', error: 'ECONNREFUSED' },
    image: { tag: 'k8s-netlab/node:abc', present: false },
  };
  const text = formatDoctorReport(r, FEATURES, FEATURE_NEEDS);
  expect(text).toMatch(/UNREACHABLE at tcp:\/\/10\.0\.0\.5:2375: ECONNREFUSED/);
  expect(text).toMatch(/setup-docker\.sh/);
  expect(text).not.toMatch(/^image/m);
});

test('missing features name the kernel option and the modes that need them', () => {
  const f = features(['ipvs', 'dummy']);
  const r: DoctorReport = {
    engine,
    image: { tag: 'k8s-netlab/node:abc', present: true, sizeBytes: 184e6, tools: { ip: true, nginx: false } },
    kernel: { features: f, modes: modeRequirements(f) },
  };
  const text = formatDoctorReport(r, FEATURES, FEATURE_NEEDS);
  expect(text).toMatch(/image +k8s-netlab\/node:abc present \(184 MB\)/);
  expect(text).toMatch(/tools +MISSING nginx \(of 2\)/);
  expect(text).toMatch(/^ {2}dummy +NO +Error: Unknown device type\.; needs CONFIG_DUMMY/m);
  expect(text).toMatch(/^ {2}ipvs +NO .*CONFIG_IP_VS/m);
  expect(text).toMatch(/^ {2}veth +yes$/m);
  expect(text).toMatch(/proxy ipvs +unavailable: needs ipvs, dummy/);
  expect(text).toMatch(/cni vxlan +ok/);
  expect(text).toMatch(/7 of 8 modes work/);
});

test('no image: says how to build it and why the kernel was not probed', () => {
  const r: DoctorReport = {
    engine,
    image: { tag: 'k8s-netlab/node:abc', present: false },
    kernelSkipped: 'no lab image',
  };
  const text = formatDoctorReport(r, FEATURES, FEATURE_NEEDS);
  expect(text).toMatch(/not built: `lab images build`/);
  expect(text).toMatch(/kernel +not probed: no lab image/);
});

test('all features: all modes work', () => {
  const f = features([]);
  const text = formatDoctorReport(
    { engine, image: { tag: 't', present: true }, kernel: { features: f, modes: modeRequirements(f) } },
    FEATURES,
    FEATURE_NEEDS,
  );
  expect(text).toMatch(/all modes work on this host/);
  expect(text).not.toMatch(/NO /);
});

test('names the CoreDNS image labs would run, or says there is none and what follows', () => {
  const base: DoctorReport = { engine, image: { tag: 'k8s-netlab/node:abc', present: true }, kernelSkipped: 'x' };
  expect(
    formatDoctorReport(
      { ...base, coredns: { image: 'k8s-netlab/coredns:0123456789ab', reason: 'present' } },
      FEATURES,
      FEATURE_NEEDS,
    ),
  ).toMatch(/^coredns +k8s-netlab\/coredns:0123456789ab present$/m);
  const none = formatDoctorReport(
    { ...base, coredns: { reason: 'image coredns/coredns:1.11.3 is not present locally (pull not tried)' } },
    FEATURES,
    FEATURE_NEEDS,
  );
  expect(none).toMatch(
    /^coredns +no image present \(image coredns\/coredns:1\.11\.3 is not present locally \(pull not tried\)\); `lab images build` pulls or builds one, else labs use the offline DNS fallback$/m,
  );
  expect(formatDoctorReport(base, FEATURES, FEATURE_NEEDS)).not.toMatch(/^coredns/m);
});
