import { judgeVxlan, parseVxlanCapture, renderVxlanCapture } from '../../src/paths/pod-to-pod/vxlan-evidence';
import { ethPacket, vxlanPacket, writePcap } from '../fixtures/pcap-write';

const expect0 = { outerSrc: '10.0.1.10', outerDst: '10.0.1.11', innerSrc: '10.244.0.2', innerDst: '10.244.1.2' };

function capture(frames: Buffer[]): string {
  return writePcap(frames.map((data, i) => ({ ts: 1000 + i, data }))).toString('base64');
}
const inner = (src: string, dst: string, seq = 1) => ethPacket({ src, dst, ttl: 63, icmp: { type: 8, id: 7, seq } });

describe('VXLAN encapsulation evidence', () => {
  it('renders a capture of outer UDP 8472 between the two nodes around a ping from the pod', () => {
    const s = renderVxlanCapture({
      netns: 'pod1',
      srcNodeIp: '10.0.1.10',
      dstNodeIp: '10.0.1.11',
      dstPodIp: '10.244.1.2',
    });
    expect(s).toContain(
      'tcpdump -i eth0 -U -n -s 256 --immediate-mode -B 16384 -w "$d/c.pcap" -Z root \'udp port 8472 and src host 10.0.1.10 and dst host 10.0.1.11\'',
    );
    expect(s).toContain('ip netns exec pod1 ping -c 2 -i 0.2 -W 2 10.244.1.2');
    expect(s.indexOf('listening')).toBeLessThan(s.indexOf('ip netns exec'));
    expect(s).toContain('base64');
  });

  it('reads outer node addresses, UDP port, VNI and inner pod addresses from the pcap', () => {
    const b64 = capture([
      vxlanPacket({ src: '10.0.1.10', dst: '10.0.1.11', vni: 1 }, inner('10.244.0.9', '10.244.1.9')), // another probe's packet
      vxlanPacket({ src: '10.0.1.10', dst: '10.0.1.11', vni: 1 }, inner('10.244.0.2', '10.244.1.2', 1)),
      vxlanPacket({ src: '10.0.1.10', dst: '10.0.1.11', vni: 1 }, inner('10.244.0.2', '10.244.1.2', 2)),
    ]);
    const v = parseVxlanCapture(b64, expect0);
    expect(v).toEqual({
      frames: 2,
      outer: '10.0.1.10 -> 10.0.1.11',
      udpPort: 8472,
      vni: 1,
      inner: '10.244.0.2 -> 10.244.1.2',
      innerProto: 'icmp',
    });
    expect(judgeVxlan(v, expect0)).toBeUndefined();
  });

  it('fails on no capture, on frames of other pods only, and on a wrong VNI or outer header', () => {
    expect(judgeVxlan(parseVxlanCapture('', expect0), expect0)).toMatch(/no VXLAN frames.*tcpdump wrote nothing/);
    const other = parseVxlanCapture(
      capture([vxlanPacket({ src: '10.0.1.10', dst: '10.0.1.11', vni: 1 }, inner('10.244.0.9', '10.244.1.9'))]),
      expect0,
    );
    expect(judgeVxlan(other, expect0)).toMatch(
      /1 frames on UDP 8472, none encapsulating 10\.244\.0\.2 -> 10\.244\.1\.2/,
    );
    const vni = parseVxlanCapture(
      capture([vxlanPacket({ src: '10.0.1.10', dst: '10.0.1.11', vni: 7 }, inner('10.244.0.2', '10.244.1.2'))]),
      expect0,
    );
    expect(judgeVxlan(vni, expect0)).toMatch(/VNI 7, expected 1/);
    const outer = parseVxlanCapture(
      capture([vxlanPacket({ src: '10.0.1.10', dst: '10.0.1.1', vni: 1 }, inner('10.244.0.2', '10.244.1.2'))]),
      expect0,
    );
    expect(judgeVxlan(outer, expect0)).toMatch(/outer header 10\.0\.1\.10 -> 10\.0\.1\.1, expected the node addresses/);
    expect(parseVxlanCapture('bm90IGEgcGNhcA==', expect0).error).toMatch(/pcap/);
  });
});
