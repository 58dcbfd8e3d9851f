/**
 * A two-node cluster in throwaway network namespaces for packet-flow tests (in the spirit of
 * upstream kube-proxy's packet-flow tests, pkg/proxy/iptables/proxier_test.go TestOverallIPTablesRules
 * + the packet tracer, but run against the real kernel instead of a simulated one).
 *
 * The script runs inside `unshare --net` (that namespace plays node n1, whose rules are under
 * test); every other namespace (node n2, pods, an off-cluster client) is an `unshare --net sleep`
 * process entered with nsenter, so nothing is mounted or named on the host and everything goes
 * away when the processes are killed. Pods are wired point-to-point (/32 on a veth, as the ptp CNI
 * plugin does) so every pod packet crosses the node's netfilter hooks.
 *
 *   ext 172.31.0.100 --- eth1 172.31.0.1  [n1 192.168.0.2] eth0 --- eth0 192.168.0.3 [n2]
 *                               va1 -> a1 10.244.1.5 (client pod)            vb2 -> b2 10.244.2.5
 *                               vb1 -> b1 10.244.1.6
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { LabModel, ProxyMode } from '../../src/model/types';
import { computeEndpoints } from '../../src/proxy/endpoints';
import { PROXY_DIR, type ProxyState, renderProxyPlan } from '../../src/proxy/plan';
import { model, node, pod, service } from './fixtures';
import { netexecBinary } from '../fixtures/netexec-bin';

/** Where a request starts: a pod namespace, the node itself, or the off-cluster client. */
export type Source = 'a1' | 'b1' | 'n1' | 'ext';

export interface FlowCase {
  name: string;
  from: Source;
  proto: 'tcp' | 'udp';
  /** ip:port */
  to: string;
  /** Expected per mode (from Kubernetes' rules, not from the rendered text). */
  expect: Partial<Record<ProxyMode, FlowExpect>> & { all?: FlowExpect };
}

export type FlowExpect = { backend: string; client: string } | { refused: true };

export interface FlowResult {
  name: string;
  /** curl exit code (0 ok, 7 refused, 28 timeout) or nc-style for UDP */
  exit: number;
  backend: string;
  client: string;
  ms: number;
}

export function flowModel(extra: (m: LabModel) => void = () => undefined): LabModel {
  const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24'), node('n2', '192.168.0.3', '10.244.2.0/24')];
  const p = (name: string, ip: string, role: string) =>
    pod(name, ip.startsWith('10.244.1.') ? 'n1' : 'n2', ip, { role });
  const pods = [p('a1', '10.244.1.5', 'client'), p('b1', '10.244.1.6', 'local'), p('b2', '10.244.2.5', 'remote')];
  const s = (name: string, ip: string, role: string, nodePort: number | undefined, more: object = {}) =>
    service(
      'default',
      name,
      ip,
      [
        { port: 80, targetPort: 8080, ...(nodePort ? { nodePort } : {}) },
        { name: 'udp', protocol: 'UDP', port: 81, targetPort: 8081 },
      ],
      {
        selector: { role },
        ...(nodePort ? { type: 'NodePort' as const } : {}),
        ...more,
      },
    );
  const services = [
    s('remote', '172.30.0.11', 'remote', 30011),
    s('local-etp', '172.30.0.12', 'local', 30012, { externalTrafficPolicy: 'Local', healthCheckNodePort: 30099 }),
    s('local-itp', '172.30.0.13', 'local', undefined, { internalTrafficPolicy: 'Local' }),
    s('self', '172.30.0.14', 'client', undefined),
    s('none', '172.30.0.15', 'nobody', undefined),
    s('mover', '172.30.0.16', 'mover', undefined),
  ];
  // the UDP ports need names distinct from the unnamed TCP port
  for (const svc of services) svc.ports[0].name = 'http';
  const m = model(nodes, services, pods, '10.244.0.0/16');
  extra(m);
  return m;
}

/**
 * The table: (source, destination, expected endpoint, expected client address the backend sees).
 * Masquerade shows as the node's address on the interface towards the backend.
 */
export const FLOW_CASES: FlowCase[] = [
  {
    name: 'pod -> ClusterIP (remote endpoint): no SNAT',
    from: 'a1',
    proto: 'tcp',
    to: '172.30.0.11:80',
    expect: { all: { backend: 'b2', client: '10.244.1.5' } },
  },
  {
    name: 'pod -> ClusterIP (UDP): no SNAT',
    from: 'a1',
    proto: 'udp',
    to: '172.30.0.11:81',
    expect: { all: { backend: 'b2', client: '10.244.1.5' } },
  },
  {
    name: 'pod -> itself via ClusterIP: hairpin SNAT',
    from: 'a1',
    proto: 'tcp',
    to: '172.30.0.14:80',
    expect: { all: { backend: 'a1', client: '10.244.1.1' } },
  },
  {
    name: 'pod -> NodePort ETP Cluster: SNAT to node',
    from: 'a1',
    proto: 'tcp',
    to: '192.168.0.2:30011',
    expect: { all: { backend: 'b2', client: '192.168.0.2' } },
  },
  {
    name: 'off-cluster -> NodePort ETP Cluster: SNAT to node',
    from: 'ext',
    proto: 'tcp',
    to: '192.168.0.2:30011',
    expect: { all: { backend: 'b2', client: '192.168.0.2' } },
  },
  {
    name: 'off-cluster -> NodePort ETP Local: client IP kept',
    from: 'ext',
    proto: 'tcp',
    to: '192.168.0.2:30012',
    expect: { all: { backend: 'b1', client: '172.31.0.100' } },
  },
  {
    name: 'off-cluster -> ClusterIP: SNAT (reply must come back here)',
    from: 'ext',
    proto: 'tcp',
    to: '172.30.0.11:80',
    expect: { all: { backend: 'b2', client: '192.168.0.2' } },
  },
  {
    name: 'off-cluster -> ClusterIP ITP Local: SNAT in the internal (local) chain',
    from: 'ext',
    proto: 'tcp',
    to: '172.30.0.13:80',
    expect: { all: { backend: 'b1', client: '10.244.1.1' } },
  },
  {
    name: 'pod -> ClusterIP ITP Local (local endpoint): no SNAT',
    from: 'a1',
    proto: 'tcp',
    to: '172.30.0.13:80',
    expect: { all: { backend: 'b1', client: '10.244.1.5' } },
  },
  {
    name: 'node -> ClusterIP: SNAT (node source is not a pod)',
    from: 'n1',
    proto: 'tcp',
    to: '172.30.0.11:80',
    expect: { all: { backend: 'b2', client: '192.168.0.2' } },
  },
  {
    name: 'pod -> ClusterIP without endpoints: refused',
    from: 'a1',
    proto: 'tcp',
    to: '172.30.0.15:80',
    expect: { all: { refused: true } },
  },
  {
    // kube-proxy iptables default --iptables-localhost-nodeports=true (route_localnet=1);
    // nftables mode does not support localhost NodePorts: nothing listens, so the kernel refuses.
    name: 'node -> 127.0.0.1:NodePort',
    from: 'n1',
    proto: 'tcp',
    to: '127.0.0.1:30011',
    expect: { iptables: { backend: 'b2', client: '192.168.0.2' }, nftables: { refused: true } },
  },
];

export function expected(c: FlowCase, mode: ProxyMode): FlowExpect {
  const e = c.expect[mode] ?? c.expect.all;
  if (!e) throw new Error(`no expectation for ${c.name} in ${mode}`);
  return e;
}

const NS_SETUP = String.raw`
set -eu
pids=""
trap 'kill $pids 2>/dev/null || true' EXIT
ns() { unshare --net sleep 600 & eval "P_$1=$!"; pids="$pids $!"; }
at() { _pid=$(eval echo \$P_$1); shift; nsenter --net=/proc/$_pid/ns/net "$@"; }
ip link set lo up
sysctl -qw net.ipv4.ip_forward=1
for n in n2 ext a1 b1 b2; do ns $n; done
sleep 0.2
for n in n2 ext a1 b1 b2; do at $n ip link set lo up; done
# n1 <-> n2 underlay
ip link add eth0 type veth peer name peer0
ip link set peer0 netns $P_n2
ip addr add 192.168.0.2/24 dev eth0; ip link set eth0 up
at n2 ip link set peer0 name eth0
at n2 ip addr add 192.168.0.3/24 dev eth0; at n2 ip link set eth0 up
at n2 sysctl -qw net.ipv4.ip_forward=1
ip route add 10.244.2.0/24 via 192.168.0.3
at n2 ip route add 10.244.1.0/24 via 192.168.0.2
# node-originated traffic to ClusterIPs needs some route (a default route on a real node)
ip route add default via 192.168.0.3
# off-cluster client on n1's second link
ip link add eth1 type veth peer name peer1
ip link set peer1 netns $P_ext
ip addr add 172.31.0.1/24 dev eth1; ip link set eth1 up
at ext ip link set peer1 name eth0
at ext ip addr add 172.31.0.100/24 dev eth0; at ext ip link set eth0 up
at ext ip route add default via 172.31.0.1
# pods, point-to-point: /32 on the pod side, gateway = the node's pod-side address
pod() { # pod node gwIP podIP
  if [ "$2" = n1 ]; then run=""; else run="at $2"; fi
  ip link add v$1 type veth peer name p$1
  ip link set p$1 netns $(eval echo \$P_$1)
  if [ "$2" != n1 ]; then ip link set v$1 netns $(eval echo \$P_$2); fi
  $run ip addr add $3/32 dev v$1; $run ip link set v$1 up; $run ip route add $4/32 dev v$1
  at $1 ip link set p$1 name eth0; at $1 ip addr add $4/32 dev eth0; at $1 ip link set eth0 up
  at $1 ip route add $3/32 dev eth0; at $1 ip route add default via $3
}
pod a1 n1 10.244.1.1 10.244.1.5
pod b1 n1 10.244.1.1 10.244.1.6
pod b2 n2 10.244.2.1 10.244.2.5
# nsenter execs the server, so $! is the server itself (a backgrounded function would be a subshell)
for p in a1 b1 b2; do nsenter --net=/proc/$(eval echo \$P_$p)/ns/net "$NETEXEC" --name $p >/dev/null 2>&1 & pids="$pids $!"; eval "srv_$p=$!"; done
for p in a1 b1 b2; do
  i=0; until at $p "$PY" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/healthz', timeout=1)" 2>/dev/null; do
    i=$((i+1)); [ $i -lt 100 ] || { echo "server in $p did not start" >&2; exit 1; }; sleep 0.1; done
done
`;

/** One request, printed as `ROW <name>\t<exit>\t<backend>\t<client>\t<ms>`. */
function requestLine(c: FlowCase, i: number): string {
  const run = c.from === 'n1' ? '' : `at ${c.from} `;
  // The backend's name and the client address it saw, in one request (netexec /echo is not enough:
  // two requests could pick different endpoints where a service has more than one).
  return (
    `t0=$(date +%s%N); out=$(${run}"$PY" "$CLIENT" ${c.proto} ${c.to} 2>/dev/null) && rc=0 || rc=$?; ` +
    `[ -n "$out" ] || out=$(printf -- '-\\t-'); ` +
    `printf 'ROW\\t%s\\t%s\\t%s\\t%s\\n' ${i} $rc "$out" $(( ($(date +%s%N) - t0) / 1000000 ))`
  );
}

export function flowScript(cases: FlowCase[], rulesCommands: string[]): string {
  return [NS_SETUP, ...rulesCommands, ...cases.map(requestLine)].join('\n') + '\n';
}

/**
 * Client: asks for "hostname" and "clientip" over one connection (HTTP: two requests on one
 * keep-alive connection are not supported by netexec, so /hostname then /clientip on two, and the
 * services in the table have one endpoint each for the source they are called from). Exit codes as
 * curl: 7 refused, 28 timeout.
 */
export const CLIENT_PY = String.raw`
import socket, sys
proto, dest = sys.argv[1], sys.argv[2]
host, port = dest.rsplit(":", 1)
def http(path):
    s = socket.create_connection((host, int(port)), timeout=5)
    s.sendall(("GET %s HTTP/1.0\r\nHost: x\r\n\r\n" % path).encode())
    data = b""
    while True:
        b = s.recv(4096)
        if not b: break
        data += b
    return data.split(b"\r\n\r\n", 1)[1].decode()
def udp(msg):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
    s.connect((host, int(port))); s.send(msg.encode())
    return s.recv(4096).decode()
try:
    f = http if proto == "tcp" else udp
    name = f("/hostname" if proto == "tcp" else "hostname")
    client = f("/clientip" if proto == "tcp" else "clientip")
    print("%s\t%s" % (name, client.rsplit(":", 1)[0]))
except ConnectionRefusedError:
    sys.exit(7)
except (socket.timeout, TimeoutError):
    sys.exit(28)
`;

export function canRunFlows(): { ok: boolean; why: string } {
  const can = (cmd: string) => spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }).status === 0;
  if (!can('unshare --net true'))
    return { ok: false, why: 'cannot create a network namespace (unshare --net needs root / CAP_SYS_ADMIN)' };
  for (const t of ['nsenter', 'python3', 'nft', 'iptables-nft-restore', 'ip', 'conntrack'])
    if (!can(`command -v ${t}`)) return { ok: false, why: `${t} is missing` };
  return { ok: true, why: '' };
}

/** Node n1's proxy plan as commands reading their files from `dir` (a node keeps them under PROXY_DIR). */
function planCommands(
  m: LabModel,
  mode: ProxyMode,
  dir: string,
  prev?: ProxyState,
  opts: { localhostNodePorts?: boolean } = {},
): { commands: string[]; state: ProxyState } {
  mkdirSync(dir, { recursive: true });
  const plan = renderProxyPlan(m, 'n1', computeEndpoints(m), mode, prev, opts);
  for (const [path, content] of Object.entries(plan.files))
    writeFileSync(join(dir, path.slice(PROXY_DIR.length + 1)), content);
  return { commands: plan.commands.map((c) => c.split(`${PROXY_DIR}/`).join(`${dir}/`)), state: plan.state };
}

function runScript(dir: string, script: string): { stdout: string; stderr: string; status: number | null } {
  writeFileSync(join(dir, 'client.py'), CLIENT_PY);
  writeFileSync(join(dir, 'udp-loop.py'), UDP_LOOP_PY);
  writeFileSync(join(dir, 'flow.sh'), script);
  const r = spawnSync('unshare', ['--net', 'sh', join(dir, 'flow.sh')], {
    encoding: 'utf8',
    timeout: 120_000,
    // /usr/bin/python3 when there is one: a version-manager shim costs ~100 ms per call
    env: {
      ...process.env,
      NETEXEC: netexecBinary(),
      DIR: dir,
      CLIENT: join(dir, 'client.py'),
      UDP_LOOP: join(dir, 'udp-loop.py'),
      PY: existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3',
    },
  });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status };
}

/** Renders node n1's proxy plan for `mode`, builds the namespaces and runs every case. */
export function runFlows(
  m: LabModel,
  mode: ProxyMode,
  cases: FlowCase[],
  opts: { localhostNodePorts?: boolean } = {},
): FlowResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'flow-'));
  const { commands } = planCommands(m, mode, join(dir, 'plan'), undefined, opts);
  const r = runScript(dir, flowScript(cases, commands));
  const rows = r.stdout.split('\n').filter((l) => l.startsWith('ROW\t'));
  if (rows.length !== cases.length) {
    throw new Error(`packet-flow script failed (exit ${r.status}): ${r.stderr.slice(-2000)}\n${r.stdout.slice(-1000)}`);
  }
  return rows.map((l) => {
    const [, i, exit, backend, client, ms] = l.split('\t');
    return {
      name: cases[Number(i)].name,
      exit: Number(exit),
      backend: backend ?? '',
      client: client ?? '',
      ms: Number(ms),
    };
  });
}

/** One connected UDP socket sending "hostname" every 100 ms; prints what answered (or why not). */
export const UDP_LOOP_PY = String.raw`
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.3)
s.connect((host, port))
print("LOCAL", s.getsockname()[1], flush=True)
for i in range(n):
    try:
        s.send(b"hostname"); print("REPLY", s.recv(200).decode(), flush=True)
    except ConnectionRefusedError:
        print("REPLY (refused)", flush=True)
    except (socket.timeout, TimeoutError):
        print("REPLY (timeout)", flush=True)
    time.sleep(0.1)
`;

/**
 * A long-lived UDP flow whose endpoint is deleted: `before` has b2 as the only endpoint of
 * 172.30.0.16:81; mid-flow b2's server stops and n1 syncs to `after` (b2 gone, b1 the endpoint),
 * incrementally as the lab does. Returns the replies in order and the client's one local port.
 */
export function runUdpMove(
  before: LabModel,
  after: LabModel,
  mode: ProxyMode,
): { replies: string[]; localPorts: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'flow-udp-'));
  const one = planCommands(before, mode, join(dir, 'p1'));
  const two = planCommands(after, mode, join(dir, 'p2'), JSON.parse(JSON.stringify(one.state)) as ProxyState);
  const script = [
    NS_SETUP,
    ...one.commands,
    'nsenter --net=/proc/$P_a1/ns/net "$PY" "$UDP_LOOP" 172.30.0.16 81 40 > "$DIR/udp.out" 2>&1 & client=$!; pids="$pids $client"',
    'sleep 1.2',
    // b2 goes away (its server stops), then the endpoints controller + kube-proxy catch up
    'kill $srv_b2; wait $srv_b2 2>/dev/null || true',
    ...two.commands,
    'wait $client || true',
    'cat "$DIR/udp.out"',
  ].join('\n');
  const r = runScript(dir, script + '\n');
  const lines = r.stdout.split('\n');
  const replies = lines.filter((l) => l.startsWith('REPLY ')).map((l) => l.slice(6));
  if (replies.length === 0) throw new Error(`udp flow script failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return { replies, localPorts: lines.filter((l) => l.startsWith('LOCAL ')).map((l) => l.slice(6)) };
}

/** What a result shows, in the shape of a FlowExpect (for one toEqual per table). */
export function observed(r: FlowResult): FlowExpect | { failed: string } {
  if (r.exit === 7) return { refused: true };
  if (r.exit !== 0) return { failed: `exit ${r.exit} after ${r.ms} ms` };
  return { backend: r.backend, client: r.client };
}
