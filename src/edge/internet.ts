/**
 * The Internet host: a machine "somewhere on the Internet" (documentation addresses). It runs an
 * HTTP "what is my IP" echo (the source address it sees and the request headers) and the DNS
 * server for names outside the cluster (dnsmasq, authoritative for a small zone). The echo is
 * images/internet/whoami.py.
 */
import type { LabModel } from '../model/types';
import { programSource } from '../images/programs';
import { q, waitUntil, writeFileLines } from '../plan/shell';
import { EDGE_DIR, prefixLen, startOnce } from './common';

export const WHOAMI_PORT = 80;
export const WHOAMI_SCRIPT = `${EDGE_DIR}/whoami.py`;

/** Names the Internet DNS answers; every one points at the Internet host. */
export function internetZone(model: LabModel): Array<{ name: string; ip: string }> {
  const ip = model.edge!.internet.ip;
  return ['example.com', 'www.example.com', 'whoami.example.net'].map((name) => ({ name, ip }));
}

/** dnsmasq argv: authoritative-style answers for the zone, NXDOMAIN inside it, nothing forwarded. */
export function dnsmasqArgv(model: LabModel): string[] {
  const e = model.edge!;
  const domains = [...new Set(internetZone(model).map((r) => r.name.split('.').slice(-2).join('.')))];
  return [
    'dnsmasq',
    '--keep-in-foreground',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--user=root',
    '--group=root',
    `--listen-address=${e.internet.ip}`,
    '--bind-interfaces',
    `--pid-file=${EDGE_DIR}/dnsmasq.pid.dnsmasq`,
    ...domains.map((d) => `--local=/${d}/`),
    ...internetZone(model).map((r) => `--host-record=${r.name},${r.ip}`),
    '--log-queries',
  ];
}

export function renderInternetHost(model: LabModel): string[] {
  const e = model.edge!;
  const h = e.internet;
  return [
    `# internet host: ${h.iface} ${h.ip}/${prefixLen(e.internetCIDR)} (+ ${h.otherClientIP}), default via the gateway ${h.gateway}`,
    `mkdir -p ${EDGE_DIR}`,
    'ip link set lo up',
    `ip addr add ${h.ip}/${prefixLen(e.internetCIDR)} dev ${q(h.iface)}`,
    `ip addr add ${h.otherClientIP}/${prefixLen(h.otherClientCIDR)} dev ${q(h.iface)}`,
    `ip link set ${q(h.iface)} up`,
    `ip route add default via ${h.gateway}`,
    ...writeFileLines(WHOAMI_SCRIPT, programSource('whoami'), { mkdir: true }),
    startOnce(`${EDGE_DIR}/whoami.pid`, `python3 ${WHOAMI_SCRIPT} ${WHOAMI_PORT}`, `${EDGE_DIR}/whoami.log`),
    startOnce(`${EDGE_DIR}/dnsmasq.pid`, dnsmasqArgv(model).map(q).join(' '), `${EDGE_DIR}/dnsmasq.log`),
    // Ready when both answer (a few hundred ms for python to start).
    waitUntil(
      `curl -s -m 1 -o /dev/null http://${h.ip}:${WHOAMI_PORT}/ip && dig +short +time=1 +tries=1 @${h.ip} example.com | grep -q .`,
      { what: 'internet host services did not start', onTimeout: `cat ${EDGE_DIR}/*.log >&2` },
    ),
  ];
}
