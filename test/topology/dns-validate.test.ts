import { podDnsProblems } from '../../src/topology/dns-validate';

describe('DNS input checks', () => {
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
