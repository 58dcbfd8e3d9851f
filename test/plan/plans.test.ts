import { cniBatches } from '../fixtures/cni';
import { renderLinkScript } from '../../src/plan/fabric';
import { renderNodeBase } from '../../src/plan/node';
import { netexecArgs, podMtu, renderPod, renderPodsOnNode, renderWaitReady } from '../../src/plan/pod';
import { renderVpc } from '../../src/plan/vpc';
import { nodeSpec, vpcSpec, fabricHelperSpec, standbyHelperSpec, HELPER_STANDBY_SEC } from '../../src/plan/containers';
import { q, script } from '../../src/plan/shell';
import { fixtureModel } from '../fixtures/model';

describe('shell quoting', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(q('10.0.1.0/24')).toBe('10.0.1.0/24');
    expect(q("it's $HOME")).toBe(`'it'\\''s $HOME'`);
    expect(script(['true'])).toBe('set -eu\ntrue\n');
  });
});

describe('fabric', () => {
  it('creates each veth straight into both namespaces by PID', () => {
    const m = fixtureModel();
    const pids = Object.fromEntries([m.vpc.container, ...m.nodes.map((n) => n.container)].map((c, i) => [c, 100 + i]));
    const s = renderLinkScript(m.links, pids);
    expect(s).toContain('ip link add name eth0 netns 101 mtu 1500 type veth peer name v-node1 netns 100 mtu 1500');
    expect(s.match(/type veth/g)).toHaveLength(3);
  });
  it('refuses a link to a container without a PID', () => {
    const m = fixtureModel();
    expect(() => renderLinkScript(m.links, {})).toThrow(/no PID/);
  });
});

describe('node and pod plumbing', () => {
  const m = fixtureModel();
  it('gives the node its VPC address, default route and cbr0 with the pod gateway', () => {
    const s = renderNodeBase(m, m.nodes[0]).join('\n');
    expect(s).toContain('ip addr add 10.0.1.11/24 dev eth0');
    expect(s).toContain('ip route add default via 10.0.1.1 dev eth0');
    expect(s).toContain('ip link add cbr0 type bridge');
    expect(s).toContain('ip addr add 10.244.0.1/24 dev cbr0');
  });
  it("builds a pod: netns, then CNI ADD of loopback and of the node's network on eth0 asking for the model's address", () => {
    const pod = m.pods[0];
    const lines = renderPod(m, m.nodes[0], pod);
    const s = lines.join('\n');
    expect(s).toContain('ip netns add pod1');
    const [add] = cniBatches(lines);
    expect(add.command).toBe('ADD');
    expect(add.index).toBeGreaterThan(lines.indexOf('ip netns add pod1'));
    expect(lines[add.index]).toContain('CNI_PATH=/usr/lib/cni');
    expect(add.items.map((i) => `${i.config} ${i.ifname}`)).toEqual([
      '/etc/cni/net.d/99-loopback.conf lo',
      '/etc/cni/net.d/10-kubenet.conflist eth0',
    ]);
    for (const i of add.items) {
      expect(i.netns).toBe('/run/netns/pod1');
      expect(i.args).toContain('IP=10.244.0.2');
    }
    // No hand-made plumbing left: the plugins make the veth, address and routes.
    expect(s).not.toMatch(/ip link add|addr add|route add|master cbr0/);
    // Two containers: two processes in the same namespace.
    expect(
      s.match(
        /setsid nsenter --uts=\/run\/k8s-netlab\/uts\/pod1 ip netns exec pod1 setpriv --bounding-set=-sys_admin -- netexec/g,
      ),
    ).toHaveLength(2);
  });
  it('runs a localhost-only container bound to 127.0.0.1 and waits for it inside the pod', () => {
    const pod = m.pods[0];
    expect(netexecArgs(pod, pod.containers[1])).toEqual(
      expect.arrayContaining(['--http-port=9090', '--udp-port=0', '--http-bind=127.0.0.1']),
    );
    const wait = renderWaitReady(pod).join('\n');
    expect(wait).toContain('http://10.244.0.2:8080/healthz');
    expect(wait).toContain('http://127.0.0.1:9090/healthz');
    // Both asked from inside the pod's network namespace (its localhost is not the node's).
    expect(wait.match(/nsenter --net=\/run\/netns\/pod1 curl /g)).toHaveLength(2);
  });
  it("turns IPv6 off inside each pod's namespace before its CNI ADD", () => {
    const lines = renderPodsOnNode(m, m.nodes[0]);
    const add = cniBatches(lines)[0].index;
    for (const p of m.pods.filter((x) => x.node === 'node1')) {
      const i = lines.findIndex((l) => l.startsWith(`nsenter --net=/run/netns/${p.netns} sh -c`));
      expect(lines[i]).toContain('echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6');
      expect(lines[i]).toContain('echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6');
      expect(i).toBeGreaterThan(lines.indexOf(`ip netns add ${p.netns}`));
      expect(i).toBeLessThan(add);
    }
  });
  it("starts a node's pods with one CNI ADD run for all of them, after their namespaces exist", () => {
    const lines = renderPodsOnNode(m, m.nodes[0]);
    const batches = cniBatches(lines);
    expect(batches).toHaveLength(1);
    const mine = m.pods.filter((p) => p.node === 'node1');
    expect(new Set(batches[0].items.map((i) => i.netns))).toEqual(new Set(mine.map((p) => `/run/netns/${p.netns}`)));
    for (const p of mine) expect(lines.indexOf(`ip netns add ${p.netns}`)).toBeLessThan(batches[0].index);
    expect(lines.findIndex((l) => l.includes('setsid'))).toBeGreaterThan(batches[0].index);
  });
  it("places only the node's own pods on it", () => {
    const s = renderPodsOnNode(m, m.nodes[2]).join('\n');
    expect(s).toContain('ip netns add client');
    expect(s).not.toContain('ip netns add pod1');
  });
  it('lowers the pod MTU by the VXLAN overhead in vxlan mode only', () => {
    expect(podMtu(m)).toBe(1500);
    expect(podMtu(fixtureModel({ cni: 'vxlan' }))).toBe(1450);
  });
});

describe('vpc router', () => {
  it('bridges each subnet, attaches nodes and routes every pod block to its node', () => {
    const s = renderVpc(fixtureModel()).join('\n');
    expect(s).toContain('ip addr add 10.0.1.1/24 dev br-subnet-a');
    expect(s).toContain('ip link set v-node2 master br-subnet-a up');
    expect(s).toContain('ip route add 10.244.1.0/24 via 10.0.1.12');
    expect(s).toContain('send_redirects');
  });
  it('holds no pod routes when the nodes route pods themselves', () => {
    expect(renderVpc(fixtureModel({ cni: 'host-gw' })).join('\n')).not.toContain('10.244.1.0/24 via');
  });
});

describe('container specs', () => {
  const m = fixtureModel();
  it('uses explicit capabilities, never privileged, and labels everything', () => {
    const s = nodeSpec(m, m.nodes[0], 'img');
    expect(s.privileges.capDrop).toEqual(['ALL']);
    expect(s.privileges.capAdd).toEqual(expect.arrayContaining(['NET_ADMIN', 'SYS_ADMIN']));
    expect(vpcSpec(m, 'img').privileges.capAdd).not.toContain('SYS_ADMIN');
    expect(s.lab).toBe('t');
    expect(s.role).toBe('node');
    expect(s.sysctls['net.ipv4.ip_forward']).toBe('1');
    expect(vpcSpec(m, 'img').role).toBe('vpc');
  });
  it('gives only the fabric helper the host PID namespace', () => {
    expect(nodeSpec(m, m.nodes[0], 'img').pidHost).toBeFalsy();
    const h = fabricHelperSpec(m, 'img', 'true');
    expect(h.pidHost).toBe(true);
    expect(h.privileges.capAdd).toContain('NET_ADMIN');
    expect(h.privileges.capAdd).not.toContain('SYS_ADMIN');
    expect(h.privileges.capAdd).not.toContain('SYS_PTRACE');
    expect(fabricHelperSpec(m, 'img', 'true', 'attach').privileges.capAdd).toContain('SYS_ADMIN');
    expect(h.role).toBe('helper');
  });
  it('gives a standby helper the privileges and labels of its job, idle for a bounded time', () => {
    for (const job of ['links', 'attach'] as const) {
      const s = standbyHelperSpec(m, 'img', job);
      const once = fabricHelperSpec(m, 'img', 'true', job);
      expect(s.privileges).toEqual(once.privileges);
      expect(s.pidHost).toBe(true);
      expect(s.labels).toEqual(once.labels);
      expect(s.role).toBe('helper');
      expect(s.cmd).toEqual(['sleep', String(HELPER_STANDBY_SEC)]);
    }
    // Both jobs' helpers run at once in lab up: their names differ.
    expect(standbyHelperSpec(m, 'img', 'links').name).not.toBe(standbyHelperSpec(m, 'img', 'attach').name);
  });
});
