import {
  closest,
  deploymentPodName,
  dns1035LabelProblem,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  hostVethName,
  labelKeyProblem,
  netnsName,
  portNameProblem,
  safeSuffix,
  shortIfName,
} from '../../src/topology/names';

describe('names', () => {
  it('checks DNS labels and subdomains', () => {
    expect(dns1123LabelProblem('node1')).toBeUndefined();
    expect(dns1123LabelProblem('1node')).toBeUndefined();
    expect(dns1123LabelProblem('Node1')).toMatch(/DNS-1123/);
    expect(dns1123LabelProblem('a'.repeat(64))).toMatch(/63/);
    expect(dns1035LabelProblem('web')).toBeUndefined();
    expect(dns1035LabelProblem('1web')).toMatch(/DNS-1035/);
    expect(dns1123SubdomainProblem('cluster.local')).toBeUndefined();
    expect(dns1123SubdomainProblem('cluster..local')).toMatch(/subdomain/);
    expect(portNameProblem('http')).toBeUndefined();
    expect(portNameProblem('8080')).toMatch(/letter/);
    expect(portNameProblem('a-very-long-port-name')).toMatch(/15/);
    expect(labelKeyProblem('kubernetes.io/hostname')).toBeUndefined();
    expect(labelKeyProblem('bad key')).toMatch(/name part/);
  });

  it('derives interface names of at most 15 characters', () => {
    expect(shortIfName('v-', 'node1')).toBe('v-node1');
    const a = shortIfName('v-', 'kubernetes-worker-a');
    const b = shortIfName('v-', 'kubernetes-worker-b');
    expect(a.length).toBeLessThanOrEqual(15);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v-kuber-[0-9a-f]{7}$/);
    expect(hostVethName('default', 'pod1')).toMatch(/^veth[0-9a-f]{8}$/);
    expect(hostVethName('default', 'pod1')).toBe(hostVethName('default', 'pod1'));
    expect(hostVethName('default', 'pod1')).not.toBe(hostVethName('team', 'pod1'));
    expect(hostVethName('default', 'pod1', 1)).not.toBe(hostVethName('default', 'pod1'));
  });

  it('names network namespaces uniquely and legally for ip netns', () => {
    expect(netnsName('default', 'pod1')).toBe('pod1');
    expect(netnsName('team', 'pod1')).toBe('team.pod1');
    expect(netnsName('team', 'pod1')).not.toMatch(/\//);
  });

  it('builds Deployment pod names like the apiserver (58-character base + 5-character suffix)', () => {
    expect(deploymentPodName('web', '0123456789', 'bcdfg')).toBe('web-0123456789-bcdfg');
    const long = deploymentPodName('x'.repeat(50), '0123456789', 'bcdfg');
    expect(long).toHaveLength(63);
    expect(long.endsWith('bcdfg')).toBe(true);
    expect(safeSuffix('k')).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(safeSuffix('k')).toBe(safeSuffix('k'));
    expect(safeSuffix('k')).not.toBe(safeSuffix('l'));
  });

  it('suggests the closest field only when plausible', () => {
    expect(closest('replica', ['replicas', 'selector', 'template'])).toBe('replicas');
    expect(closest('podCidr', ['podCIDR', 'serviceCIDR'])).toBe('podCIDR');
    expect(closest('zzzzzz', ['replicas', 'selector'])).toBeUndefined();
  });
});
