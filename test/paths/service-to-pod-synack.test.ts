import { parseSynAck } from '../../src/paths/service-to-pod/probes';
import { nodeAddresses } from '../../src/paths/common/select';
import { fixtureModel } from '../fixtures/model';

describe('service-to-pod picks its own SYN-ACK', () => {
  const out = [
    '12:00:00.1 IP 10.96.244.146.80 > 10.244.0.2.52000: Flags [S.], seq 1, ack 2',
    '12:00:00.2 IP 10.96.236.88.80 > 10.244.0.2.41000: Flags [S.], seq 1, ack 2',
  ].join('\n');
  it("matches the destination port of the probe's own connection", () => {
    expect(parseSynAck(out, 41000)).toEqual({ src: '10.96.236.88:80', dst: '10.244.0.2:41000' });
    expect(parseSynAck(out, 43000)).toBeUndefined();
    expect(parseSynAck(out)).toEqual({ src: '10.96.244.146:80', dst: '10.244.0.2:52000' });
  });
});

describe('node addresses a masqueraded packet may carry', () => {
  it('include flannel.1 (.0 of the pod block) in vxlan mode only', () => {
    expect(nodeAddresses(fixtureModel({ cni: 'vxlan' }))).toEqual(
      expect.arrayContaining(['10.0.1.11', '10.244.0.1', '10.244.0.0']),
    );
    expect(nodeAddresses(fixtureModel())).not.toContain('10.244.0.0');
  });
});
