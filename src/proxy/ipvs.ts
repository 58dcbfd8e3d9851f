/**
 * kube-proxy's IPVS mode as pure text: ipvsadm-restore input (one virtual server per service
 * address, masquerading real servers), the kube-ipvs0 dummy link holding every service address
 * (so IPVS, which works in INPUT, sees the packets as local), ipset restore input, and the few
 * iptables rules kube-proxy keeps next to IPVS (SNAT decisions through ipsets; the rule count
 * does not grow with services). Names follow pkg/proxy/ipvs (ipset.go, proxier.go).
 */

import type { LabModel } from '../model/types';
import type { Endpoint, EndpointSlice } from './endpoints';
import type { JumpRule } from './iptables-bootstrap';
import { MASQ_MARK, type ProxyOptions, type ServicePortInfo, findNode, servicePortInfos } from './service-ports';

export const KUBE_IPVS0 = 'kube-ipvs0';

export interface IpvsOptions extends ProxyOptions {
  randomFully?: boolean;
}

export interface IpvsRender {
  /** ipvsadm-restore input; starts with -C (clear) so it is a full sync. */
  ipvsadm: string;
  /** ipset restore input (-exist everywhere, sets flushed and refilled). */
  ipset: string;
  /** iptables-restore --noflush input for the KUBE-* chains IPVS mode uses. */
  iptables: string;
  /** Addresses bound to kube-ipvs0 (/32 each), sorted. */
  addresses: string[];
  /** Shell lines creating kube-ipvs0 and making its addresses exactly `addresses`. */
  linkCommands: string[];
  /** sysctls kube-proxy sets for IPVS. */
  sysctls: Record<string, string>;
}

interface IpsetDef {
  name: string;
  type: string;
  comment: string;
}

/** The ipsets of pkg/proxy/ipvs/ipset.go this lab uses (IPv4, no SCTP). */
export const IPVS_IPSETS: IpsetDef[] = [
  {
    name: 'KUBE-LOOP-BACK',
    type: 'hash:ip,port,ip',
    comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose',
  },
  {
    name: 'KUBE-CLUSTER-IP',
    type: 'hash:ip,port',
    comment: 'Kubernetes service cluster ip + port for masquerade purpose',
  },
  {
    name: 'KUBE-EXTERNAL-IP',
    type: 'hash:ip,port',
    comment: 'Kubernetes service external ip + port for masquerade and filter purpose',
  },
  {
    name: 'KUBE-EXTERNAL-IP-LOCAL',
    type: 'hash:ip,port',
    comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local',
  },
  { name: 'KUBE-LOAD-BALANCER', type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  {
    name: 'KUBE-LOAD-BALANCER-LOCAL',
    type: 'hash:ip,port',
    comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local',
  },
  {
    name: 'KUBE-LOAD-BALANCER-FW',
    type: 'hash:ip,port',
    comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange',
  },
  {
    name: 'KUBE-LOAD-BALANCER-SOURCE-CIDR',
    type: 'hash:ip,port,net',
    comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose',
  },
  { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  {
    name: 'KUBE-NODE-PORT-LOCAL-TCP',
    type: 'bitmap:port',
    comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local',
  },
  { name: 'KUBE-NODE-PORT-UDP', type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  {
    name: 'KUBE-NODE-PORT-LOCAL-UDP',
    type: 'bitmap:port',
    comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local',
  },
  { name: 'KUBE-HEALTH-CHECK-NODE-PORT', type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  { name: 'KUBE-IPVS-IPS', type: 'hash:ip', comment: 'IPVS service ips' },
];

/** Base-chain jumps of IPVS mode (pkg/proxy/ipvs iptablesJumpChain). */
export const IPVS_JUMPS: JumpRule[] = [
  { table: 'nat', chain: 'OUTPUT', target: 'KUBE-SERVICES', comment: 'kubernetes service portals', extra: [] },
  { table: 'nat', chain: 'PREROUTING', target: 'KUBE-SERVICES', comment: 'kubernetes service portals', extra: [] },
  {
    table: 'nat',
    chain: 'POSTROUTING',
    target: 'KUBE-POSTROUTING',
    comment: 'kubernetes postrouting rules',
    extra: [],
  },
  { table: 'filter', chain: 'FORWARD', target: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules', extra: [] },
  { table: 'filter', chain: 'INPUT', target: 'KUBE-NODE-PORT', comment: 'kubernetes health check rules', extra: [] },
  { table: 'filter', chain: 'INPUT', target: 'KUBE-PROXY-FIREWALL', comment: 'kube-proxy firewall rules', extra: [] },
  { table: 'filter', chain: 'FORWARD', target: 'KUBE-PROXY-FIREWALL', comment: 'kube-proxy firewall rules', extra: [] },
  { table: 'filter', chain: 'INPUT', target: 'KUBE-IPVS-FILTER', comment: 'kubernetes ipvs access filter', extra: [] },
];

export const IPVS_SYSCTLS: Record<string, string> = {
  'net.ipv4.ip_forward': '1',
  // Lets iptables (SNAT, hairpin) see IPVS-forwarded connections.
  'net.ipv4.vs.conntrack': '1',
  // Drop connections to removed real servers instead of blackholing them.
  'net.ipv4.vs.expire_nodest_conn': '1',
  'net.ipv4.vs.expire_quiescent_template': '1',
};

function ipvsProto(p: string): string {
  return p === 'udp' ? '-u' : '-t';
}

class Sets {
  readonly entries = new Map<string, Set<string>>(IPVS_IPSETS.map((s) => [s.name, new Set<string>()]));
  add(set: string, entry: string): void {
    this.entries.get(set)!.add(entry);
  }
  has(set: string): boolean {
    return this.entries.get(set)!.size > 0;
  }
}

export function renderIpvs(
  model: LabModel,
  nodeName: string,
  slices: EndpointSlice[],
  scheduler: string = model.cluster.ipvsScheduler || 'rr',
  opts: IpvsOptions = {},
): IpvsRender {
  const node = findNode(model, nodeName);
  const infos = servicePortInfos(model, nodeName, slices, opts);
  const sets = new Sets();
  const addresses = new Set<string>();
  const vs: string[] = ['-C'];

  const virtualServer = (info: ServicePortInfo, ip: string, port: number, eps: Endpoint[]) => {
    const id = `${ipvsProto(info.protocol)} ${ip}:${port}`;
    vs.push(`-A ${id} -s ${scheduler}${info.affinitySeconds ? ` -p ${info.affinitySeconds}` : ''}`);
    for (const ep of eps) vs.push(`-a ${id} -r ${ep.ip}:${ep.port} -m -w 1`);
  };

  for (const info of infos) {
    const port = info.port.port;
    const entry = (ip: string) => `${ip},${info.protocol}:${port}`;
    const internal = info.internalPolicyLocal ? info.localEndpoints : info.clusterEndpoints;
    const external = info.externalPolicyLocal ? info.localEndpoints : info.clusterEndpoints;

    sets.add('KUBE-CLUSTER-IP', entry(info.clusterIP));
    addresses.add(info.clusterIP);
    virtualServer(info, info.clusterIP, port, internal);
    // Hairpin: a backend on this node reaching itself through the VIP is SNAT'd.
    for (const ep of info.reachableEndpoints) {
      if (ep.node === nodeName) sets.add('KUBE-LOOP-BACK', `${ep.ip},${info.protocol}:${ep.port},${ep.ip}`);
    }
    for (const ip of info.externalIPs) {
      sets.add(info.externalPolicyLocal ? 'KUBE-EXTERNAL-IP-LOCAL' : 'KUBE-EXTERNAL-IP', entry(ip));
      addresses.add(ip);
      virtualServer(info, ip, port, external);
    }
    for (const ip of info.loadBalancerIPs) {
      sets.add('KUBE-LOAD-BALANCER', entry(ip));
      if (info.externalPolicyLocal) sets.add('KUBE-LOAD-BALANCER-LOCAL', entry(ip));
      if (info.sourceRanges.length) {
        sets.add('KUBE-LOAD-BALANCER-FW', entry(ip));
        for (const cidr of info.sourceRanges) sets.add('KUBE-LOAD-BALANCER-SOURCE-CIDR', `${entry(ip)},${cidr}`);
      }
      addresses.add(ip);
      virtualServer(info, ip, port, external);
    }
    if (info.nodePort) {
      const p = info.protocol.toUpperCase();
      sets.add(info.externalPolicyLocal ? `KUBE-NODE-PORT-LOCAL-${p}` : `KUBE-NODE-PORT-${p}`, String(info.nodePort));
      if (info.externalPolicyLocal) sets.add(`KUBE-NODE-PORT-${p}`, String(info.nodePort));
      // NodePorts are virtual servers on the node's own address (not bound to kube-ipvs0).
      virtualServer(info, node.ip, info.nodePort, external);
    }
    if (info.healthCheckNodePort) sets.add('KUBE-HEALTH-CHECK-NODE-PORT', String(info.healthCheckNodePort));
  }
  const sortedAddresses = [...addresses].sort(compareIps);
  for (const a of sortedAddresses) sets.add('KUBE-IPVS-IPS', a);

  return {
    ipvsadm: vs.join('\n') + '\n',
    ipset: renderIpsetRestore(sets),
    iptables: renderIpvsIptables(model.cluster.podCIDR, sets, opts),
    addresses: sortedAddresses,
    linkCommands: renderKubeIpvs0(sortedAddresses),
    sysctls: { ...IPVS_SYSCTLS },
  };
}

function compareIps(a: string, b: string): number {
  const n = (ip: string) => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return n(a) - n(b);
}

function renderIpsetRestore(sets: Sets): string {
  const out: string[] = [];
  for (const def of IPVS_IPSETS) {
    const opts = def.type.startsWith('bitmap:port') ? 'range 0-65535' : 'family inet hashsize 1024 maxelem 65536';
    out.push(`create ${def.name} ${def.type} ${opts} comment -exist`);
    out.push(`flush ${def.name}`);
    for (const e of sets.entries.get(def.name)!) out.push(`add ${def.name} ${e} -exist`);
  }
  return out.join('\n') + '\n';
}

/** Idempotent: creates the dummy link once, adds missing /32s, removes addresses no longer wanted. */
export function renderKubeIpvs0(addresses: string[]): string[] {
  const want = addresses.map((a) => `${a}/32`).join(' ');
  return [
    `ip link show ${KUBE_IPVS0} >/dev/null 2>&1 || ip link add ${KUBE_IPVS0} type dummy`,
    `for a in $(ip -4 -o addr show dev ${KUBE_IPVS0} | awk '{print $4}'); do case " ${want} " in *" $a "*) ;; *) ip addr del "$a" dev ${KUBE_IPVS0} ;; esac; done`,
    ...addresses.map((a) => `ip addr replace ${a}/32 dev ${KUBE_IPVS0}`),
  ];
}

function renderIpvsIptables(podCIDR: string, sets: Sets, opts: IpvsOptions): string {
  const nat: string[] = [];
  const filter: string[] = [];
  const natChains = ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER', 'KUBE-MARK-MASQ'];
  const filterChains = [
    'KUBE-FORWARD',
    'KUBE-NODE-PORT',
    'KUBE-PROXY-FIREWALL',
    'KUBE-SOURCE-RANGES-FIREWALL',
    'KUBE-IPVS-FILTER',
  ];
  const c = (comment: string) => `-m comment --comment "${comment}"`;
  const def = (name: string) => IPVS_IPSETS.find((s) => s.name === name)!.comment;

  if (sets.has('KUBE-LOAD-BALANCER')) {
    nat.push(
      `-A KUBE-SERVICES ${c(def('KUBE-LOAD-BALANCER'))} -m set --match-set KUBE-LOAD-BALANCER dst,dst -j KUBE-LOAD-BALANCER`,
    );
    if (sets.has('KUBE-LOAD-BALANCER-LOCAL')) {
      nat.push(
        `-A KUBE-LOAD-BALANCER ${c(def('KUBE-LOAD-BALANCER-LOCAL'))} -m set --match-set KUBE-LOAD-BALANCER-LOCAL dst,dst -j RETURN`,
      );
    }
    nat.push('-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ');
  }
  if (opts.masqueradeAll) {
    nat.push(
      `-A KUBE-SERVICES ${c(def('KUBE-CLUSTER-IP'))} -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ`,
    );
  } else {
    // Only off-cluster sources are SNAT'd to a ClusterIP (pods keep their address).
    nat.push(
      `-A KUBE-SERVICES ${c(def('KUBE-CLUSTER-IP'))} -m set --match-set KUBE-CLUSTER-IP dst,dst ! -s ${podCIDR} -j KUBE-MARK-MASQ`,
    );
  }
  if (sets.has('KUBE-EXTERNAL-IP')) {
    nat.push(
      `-A KUBE-SERVICES ${c(def('KUBE-EXTERNAL-IP'))} -m set --match-set KUBE-EXTERNAL-IP dst,dst -j KUBE-MARK-MASQ`,
    );
    // External IPs are bound to kube-ipvs0, so they are local: let IPVS (INPUT) take them.
    nat.push(
      `-A KUBE-SERVICES ${c(def('KUBE-EXTERNAL-IP'))} -m set --match-set KUBE-EXTERNAL-IP dst,dst -m addrtype --dst-type LOCAL -j ACCEPT`,
    );
  }
  if (sets.has('KUBE-EXTERNAL-IP-LOCAL')) {
    nat.push(
      `-A KUBE-SERVICES ${c(def('KUBE-EXTERNAL-IP-LOCAL'))} -m set --match-set KUBE-EXTERNAL-IP-LOCAL dst,dst -j ACCEPT`,
    );
  }
  nat.push('-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT');
  nat.push('-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT');
  if (sets.has('KUBE-LOAD-BALANCER'))
    nat.push('-A KUBE-SERVICES -m set --match-set KUBE-LOAD-BALANCER dst,dst -j ACCEPT');
  for (const p of ['TCP', 'UDP']) {
    const proto = p.toLowerCase();
    if (sets.has(`KUBE-NODE-PORT-LOCAL-${p}`)) {
      // ETP Local: keep the client address, no SNAT.
      nat.push(
        `-A KUBE-NODE-PORT -p ${proto} ${c(def(`KUBE-NODE-PORT-LOCAL-${p}`))} -m set --match-set KUBE-NODE-PORT-LOCAL-${p} dst -j RETURN`,
      );
    }
    if (sets.has(`KUBE-NODE-PORT-${p}`)) {
      nat.push(
        `-A KUBE-NODE-PORT -p ${proto} ${c(def(`KUBE-NODE-PORT-${p}`))} -m set --match-set KUBE-NODE-PORT-${p} dst -j KUBE-MARK-MASQ`,
      );
    }
  }
  nat.push(
    `-A KUBE-POSTROUTING ${c(def('KUBE-LOOP-BACK'))} -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE`,
  );
  nat.push(`-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`);
  nat.push(`-A KUBE-POSTROUTING -j MARK --xor-mark ${MASQ_MARK}`);
  nat.push(
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE' +
      (opts.randomFully === false ? '' : ' --random-fully'),
  );
  nat.push(`-A KUBE-MARK-MASQ -j MARK --or-mark ${MASQ_MARK}`);

  filter.push('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP');
  filter.push(
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
  );
  filter.push(
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );
  filter.push(
    `-A KUBE-NODE-PORT ${c(def('KUBE-HEALTH-CHECK-NODE-PORT'))} -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT`,
  );
  if (sets.has('KUBE-LOAD-BALANCER-FW')) {
    // loadBalancerSourceRanges: allowed (LB IP, port, source) RETURN, the rest of the FW set DROP.
    filter.push(
      `-A KUBE-PROXY-FIREWALL ${c(def('KUBE-LOAD-BALANCER-FW'))} -m set --match-set KUBE-LOAD-BALANCER-FW dst,dst -j KUBE-SOURCE-RANGES-FIREWALL`,
    );
    filter.push(
      `-A KUBE-SOURCE-RANGES-FIREWALL -m set --match-set KUBE-LOAD-BALANCER-SOURCE-CIDR dst,dst,src -j RETURN`,
    );
    filter.push('-A KUBE-SOURCE-RANGES-FIREWALL -j DROP');
  }
  // Service addresses on kube-ipvs0 are local: refuse connections to anything that is not a service port.
  filter.push('-A KUBE-IPVS-FILTER -m set --match-set KUBE-LOAD-BALANCER dst,dst -j RETURN');
  filter.push('-A KUBE-IPVS-FILTER -m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN');
  filter.push('-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP dst,dst -j RETURN');
  filter.push('-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP-LOCAL dst,dst -j RETURN');
  filter.push('-A KUBE-IPVS-FILTER -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j RETURN');
  filter.push('-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT');

  const table = (name: string, chains: string[], rules: string[]) => [
    `*${name}`,
    ...chains.map((ch) => `:${ch} - [0:0]`),
    ...rules,
    'COMMIT',
  ];
  return [...table('filter', filterChains, filter), ...table('nat', natChains, nat)].join('\n') + '\n';
}
