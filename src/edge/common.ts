/** Small helpers shared by the edge renderers (pure). */
import type { IptablesBackend } from '../model/types';
import { iptablesBinary, iptablesRestoreBinary } from '../proxy/iptables-bootstrap';
import { q } from '../plan/shell';

/** Where edge containers keep their scripts, configs, logs and pid files. */
export const EDGE_DIR = '/run/k8s-netlab/edge';

export function prefixLen(cidr: string): number {
  return Number(cidr.split('/')[1]);
}

/** rp_filter off: the edge routes asymmetric paths on purpose (LB return, 1:1 NAT). */
export function rpFilterOff(ifaces: string[]): string[] {
  return ['all', 'default', ...ifaces].map((i) => `echo 0 > /proc/sys/net/ipv4/conf/${i}/rp_filter`);
}

/** iptables-restore --noflush of `file`, then each base-chain jump inserted once (check, else append). */
export function restoreWithJumps(
  backend: IptablesBackend,
  file: string,
  jumps: Array<{ table: string; chain: string; spec: string }>,
): string[] {
  const ipt = iptablesBinary(backend);
  return [
    `${iptablesRestoreBinary(backend)} -w --noflush ${q(file)}`,
    ...jumps.map(
      (j) =>
        `${ipt} -w -t ${j.table} -C ${j.chain} ${j.spec} 2>/dev/null || ${ipt} -w -t ${j.table} -A ${j.chain} ${j.spec}`,
    ),
  ];
}

/** Starts a long-running process once: nothing happens while its pid file names a live process. */
export function startOnce(pidFile: string, command: string, log: string): string {
  return `if ! { [ -e ${q(pidFile)} ] && kill -0 "$(cat ${q(pidFile)})" 2>/dev/null; }; then setsid ${command} > ${q(log)} 2>&1 < /dev/null & echo $! > ${q(pidFile)}; fi`;
}
