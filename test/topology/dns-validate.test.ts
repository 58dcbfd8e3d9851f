import {
  clusterDomainProblem,
  dnsIPProblem,
  externalNameProblem,
  podDnsProblems,
  serviceNameProblem,
} from '../../src/topology/dns-validate';

describe('DNS input checks', () => {
  it('cluster domain', () => {
    expect(clusterDomainProblem('cluster.local')).toBeUndefined();
    expect(clusterDomainProblem('corp.example.com')).toBeUndefined();
    expect(clusterDomainProblem('cluster.local.')).toMatch(/trailing dot/);
    expect(clusterDomainProblem('Cluster.Local')).toMatch(/DNS-1123 subdomain/);
    expect(clusterDomainProblem('bad_domain')).toMatch(/DNS domain/);
    expect(clusterDomainProblem('')).toBeDefined();
  });
  it('DNS VIP inside the service CIDR, not its network, broadcast or kubernetes address', () => {
    expect(dnsIPProblem('10.96.0.10', '10.96.0.0/16')).toBeUndefined();
    expect(dnsIPProblem('10.97.0.10', '10.96.0.0/16')).toMatch(/outside/);
    expect(dnsIPProblem('10.96.0.0', '10.96.0.0/16')).toMatch(/outside|network/);
    expect(dnsIPProblem('10.96.255.255', '10.96.0.0/16')).toMatch(/broadcast/);
    expect(dnsIPProblem('10.96.0.1', '10.96.0.0/16')).toMatch(/kubernetes/);
    expect(dnsIPProblem('10.96.0.300', '10.96.0.0/16')).toMatch(/not an IPv4/);
  });
  it('service names are DNS-1035 labels (from topology/names)', () => {
    expect(serviceNameProblem('web')).toBeUndefined();
    expect(serviceNameProblem('1web')).toMatch(/DNS-1035/);
    expect(serviceNameProblem('a'.repeat(64))).toMatch(/63/);
  });
  it('external names', () => {
    expect(externalNameProblem('www.example.com.')).toBeUndefined();
    expect(externalNameProblem('bad name')).toBeDefined();
  });
  it('pod dnsPolicy/dnsConfig', () => {
    expect(podDnsProblems({})).toEqual([]);
    expect(podDnsProblems({ dnsPolicy: 'None' }).map((p) => p.field)).toEqual(['spec.dnsConfig.nameservers']);
    expect(podDnsProblems({ dnsPolicy: 'Nope' })[0].message).toMatch(/Unsupported value/);
    const many = podDnsProblems({
      dnsConfig: {
        nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3', 'x'],
        searches: ['ok.example', 'bad_name'],
        options: [{ name: '' }],
      },
    });
    expect(many.map((p) => p.field)).toEqual([
      'spec.dnsConfig.nameservers',
      'spec.dnsConfig.nameservers[3]',
      'spec.dnsConfig.searches[1]',
      'spec.dnsConfig.options[0].name',
    ]);
    const long = podDnsProblems({ dnsConfig: { searches: Array.from({ length: 33 }, (_, i) => `s${i}.example`) } });
    expect(long[0].message).toMatch(/more than 32/);
  });
});
