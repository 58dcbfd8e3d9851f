import { InputError } from '../../src/errors';
import {
  capturePoints,
  netnsFor,
  parseCapturePoint,
  parseCapturePoints,
  pcapFileName,
  shellQuote,
  splitCapturePoint,
  tcpdumpArgv,
  tcpdumpCommand,
} from '../../src/trace/capture-plan';
import type { LabModel } from '../../src/model/types';

const valid = ['node1:eth0', 'node1:cbr0', 'node1:veth1a2b3c4d', 'node1/pod1:eth0', 'vpc:v-node1', 'node2:flannel.1'];

describe('capture points', () => {
  it('splits target, container, pod and iface', () => {
    expect(splitCapturePoint('node1/pod1:eth0')).toEqual({
      point: 'node1/pod1:eth0',
      target: 'node1/pod1',
      container: 'node1',
      pod: 'pod1',
      iface: 'eth0',
    });
    expect(splitCapturePoint('vpc:v-node1')).toMatchObject({
      target: 'vpc',
      container: 'vpc',
      pod: undefined,
      iface: 'v-node1',
    });
    expect(splitCapturePoint('node2:flannel.1')?.iface).toBe('flannel.1');
    expect(splitCapturePoint('node1/kube-system/coredns:eth0')).toEqual({
      point: 'node1/kube-system/coredns:eth0',
      target: 'node1/kube-system/coredns',
      container: 'node1',
      pod: 'coredns',
      namespace: 'kube-system',
      iface: 'eth0',
    });
    for (const bad of [
      'node1',
      'node1:',
      ':eth0',
      'a/b/c/d:eth0',
      'node1:eth0:1',
      'node1:averyveryverylongname',
      'Node1:eth0',
      'node 1:eth0',
    ]) {
      expect(splitCapturePoint(bad)).toBeUndefined();
    }
  });

  it('accepts a valid point and lists the valid ones for a bad one', () => {
    expect(parseCapturePoint('node1/pod1:eth0', valid).pod).toBe('pod1');
    let err: InputError | undefined;
    try {
      parseCapturePoint('node3:eth0', valid, 'at');
    } catch (e) {
      err = e as InputError;
    }
    expect(err).toBeInstanceOf(InputError);
    expect(err!.exitCode).toBe(2);
    expect(err!.field).toBe('at');
    expect(err!.message).toContain('unknown capture point node3:eth0');
    expect(err!.hint).toContain('node1/pod1:eth0');
    expect(err!.hint).toContain('vpc:v-node1');
    // Known target, wrong iface: the hint lists that target's interfaces.
    expect(() => parseCapturePoint('node1:eth9', valid)).toThrow(InputError);
    try {
      parseCapturePoint('node1:eth9', valid);
    } catch (e) {
      expect((e as InputError).hint).toBe('node1 has: eth0, cbr0, veth1a2b3c4d');
    }
    expect(() => parseCapturePoint('garbage', valid)).toThrow(/expected <target>:<iface>/);
  });

  it('parses a comma list, deduplicated, reporting every bad item', () => {
    expect(parseCapturePoints(['node1:eth0,node1:cbr0', 'node1:eth0'], valid).map((p) => p.point)).toEqual([
      'node1:eth0',
      'node1:cbr0',
    ]);
    expect(() => parseCapturePoints(['node1:eth0,x:y,bad'], valid)).toThrow(/unknown capture point x:y.*bad/);
  });

  it('derives every point from the lab model', () => {
    const model = {
      cluster: { cni: 'vxlan' },
      vpc: { name: 'vpc', container: 'k-vpc', role: 'vpc' },
      subnets: [{ name: 'nodes', cidr: '10.0.1.0/24', gateway: '10.0.1.1', bridge: 'br-nodes' }],
      nodes: [
        { name: 'node1', vpcIface: 'v-node1' },
        { name: 'node2', vpcIface: 'v-node2' },
      ],
      pods: [{ name: 'pod1', node: 'node1', hostVeth: 'veth1a2b3c4d', netns: 'pod-default-pod1' }],
    } as unknown as LabModel;
    const pts = capturePoints(model, ['igw:eth0']);
    expect(pts).toEqual([
      'node1:eth0',
      'node1:cbr0',
      'node1:flannel.1',
      'node1:veth1a2b3c4d',
      'node1:any',
      'node2:eth0',
      'node2:cbr0',
      'node2:flannel.1',
      'node2:any',
      'node1/pod1:eth0',
      'vpc:v-node1',
      'vpc:v-node2',
      'vpc:br-nodes',
      'vpc:any',
      'igw:eth0',
    ]);
    for (const p of pts) expect(splitCapturePoint(p)).toBeDefined();
    expect(netnsFor(model, parseCapturePoint('node1/pod1:eth0', pts))).toBe('pod-default-pod1');
    expect(netnsFor(model, parseCapturePoint('node1:eth0', pts))).toBeUndefined();
    expect(() => netnsFor(model, splitCapturePoint('node2/pod1:eth0')!)).toThrow(/no pod pod1 on node2/);
  });
});

describe('tcpdump command', () => {
  it('builds the documented command line', () => {
    expect(tcpdumpArgv({ iface: 'cbr0', file: '/tmp/node1@cbr0.pcap' })).toEqual([
      'tcpdump',
      '-i',
      'cbr0',
      '-U',
      '-n',
      '-s',
      '262144',
      '--immediate-mode',
      '-B',
      '16384',
      '-w',
      '/tmp/node1@cbr0.pcap',
    ]);
    expect(tcpdumpArgv({ iface: 'cbr0', file: 'f', immediate: false })).toEqual([
      'tcpdump',
      '-i',
      'cbr0',
      '-U',
      '-n',
      '-s',
      '262144',
      '-B',
      '16384',
      '-w',
      'f',
    ]);
    expect(tcpdumpArgv({ iface: 'cbr0', file: '-', nanos: true })).toEqual([
      'tcpdump',
      '-i',
      'cbr0',
      '-U',
      '-n',
      '-s',
      '262144',
      '--immediate-mode',
      '-B',
      '16384',
      '--time-stamp-precision=nano',
      '-w',
      '-',
    ]);
    expect(
      tcpdumpArgv({ iface: 'eth0', file: '-', count: 10, filter: 'tcp port 80 or icmp', netns: 'pod-default-pod1' }),
    ).toEqual([
      'ip',
      'netns',
      'exec',
      'pod-default-pod1',
      'tcpdump',
      '-i',
      'eth0',
      '-U',
      '-n',
      '-s',
      '262144',
      '--immediate-mode',
      '-B',
      '16384',
      '-w',
      '-',
      '-c',
      '10',
      'tcp port 80 or icmp',
    ]);
    expect(tcpdumpArgv({ iface: 'any', file: 'x', user: 'root' })).toContain('-Z');
    expect(tcpdumpCommand({ iface: 'eth0', file: '/tmp/a b.pcap', filter: 'host 10.0.0.1 and not port 22' })).toBe(
      "tcpdump -i eth0 -U -n -s 262144 --immediate-mode -B 16384 -w '/tmp/a b.pcap' 'host 10.0.0.1 and not port 22'",
    );
    expect(shellQuote(["it's"])).toBe("'it'\\''s'");
  });

  it('refuses bad interface names, counts and option-like filters', () => {
    expect(() => tcpdumpArgv({ iface: 'eth0; rm -rf /', file: 'x' })).toThrow(InputError);
    expect(() => tcpdumpArgv({ iface: 'eth0', file: 'x', count: 0 })).toThrow(/positive integer/);
    expect(() => tcpdumpArgv({ iface: 'eth0', file: 'x', filter: '-r /etc/passwd' })).toThrow(/looks like an option/);
  });
});

describe('pcap file names', () => {
  it('maps points to distinct, safe names', () => {
    expect(pcapFileName('node1/pod1:eth0')).toBe('node1_pod1@eth0.pcap');
    expect(pcapFileName('node1:cbr0')).toBe('node1@cbr0.pcap');
    expect(pcapFileName('vpc:v-node1')).toBe('vpc@v-node1.pcap');
    expect(pcapFileName('node2:flannel.1')).toBe('node2@flannel.1.pcap');
    // '_' is escaped so it never collides with a '/'.
    expect(pcapFileName('a_b:eth0')).not.toBe(pcapFileName('a/b:eth0'));
    expect(pcapFileName('..:x')).not.toMatch(/^\./);
    for (const p of valid) expect(pcapFileName(p)).toMatch(/^[A-Za-z0-9._@%-]+\.pcap$/);
    expect(new Set(valid.map(pcapFileName)).size).toBe(valid.length);
  });
});
